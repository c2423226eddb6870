"""Where to draw an impact graph's boxes and lines: one column per depth, plain data in and out.

No Django here, so the layout is tested (and, if ever needed, tuned) alone; the page draws the result
as inline SVG. Within a column a node sits in the order of the nodes it hangs from, so a parent's
children gather beside it and lines seldom cross.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CHAR_WIDTH = 7.0  # average width of a character of the graph's 12px font: how much of a label fits in a box


@dataclass(frozen=True)
class GraphNode:
    key: str
    label: str
    depth: int
    style: str = ""  # chosen by the caller, e.g. "down application", and passed through to the box


@dataclass(frozen=True)
class Box:
    key: str
    label: str
    short_label: str
    style: str
    x: float
    y: float
    width: float
    height: float

    @property
    def text_x(self) -> float:
        return self.x + 8

    @property
    def text_y(self) -> float:
        return self.y + self.height / 2 + 4


@dataclass(frozen=True)
class Line:
    source: str
    target: str
    path: str  # an SVG path, a gentle curve from the source box's edge to the target's


@dataclass(frozen=True)
class Layout:
    boxes: list[Box]
    lines: list[Line]
    width: float
    height: float
    columns: int


def shorten(label: str, width: float) -> str:
    """The label cut to what fits in `width` pixels, with an ellipsis when cut."""
    fits = max(int(width / CHAR_WIDTH), 2)
    return label if len(label) <= fits else label[: fits - 1].rstrip() + "…"


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    middle = (x1 + x2) / 2
    return f"M{x1:g},{y1:g} C{middle:g},{y1:g} {middle:g},{y2:g} {x2:g},{y2:g}"


def layout_graph(
    nodes: Sequence[GraphNode],
    edges: Sequence[tuple[str, str]],
    *,
    box_width: float = 190,
    box_height: float = 34,
    column_gap: float = 70,
    row_gap: float = 12,
    margin: float = 10,
) -> Layout:
    """Place `nodes` in columns by depth and route `edges` (source key, target key) between their boxes.

    An edge naming a node that is not drawn is left out, so a graph cut to its first nodes still draws.
    """
    by_key = {node.key: node for node in nodes}
    edges = [(a, b) for a, b in edges if a in by_key and b in by_key and a != b]
    column_of = {depth: index for index, depth in enumerate(sorted({node.depth for node in nodes}))}
    neighbours: dict[str, list[str]] = {key: [] for key in by_key}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)

    row_of: dict[str, int] = {}
    columns: list[list[GraphNode]] = [[] for _ in column_of]
    for node in nodes:
        columns[column_of[node.depth]].append(node)
    for column in columns:
        # Nodes follow the mean row of what they hang from in earlier columns; the unattached go last.
        def order(node: GraphNode) -> tuple[float, str, str]:
            placed = [row_of[other] for other in neighbours[node.key] if other in row_of]
            return (sum(placed) / len(placed) if placed else math.inf, node.label.lower(), node.key)

        column.sort(key=order)
        for row, node in enumerate(column):
            row_of[node.key] = row

    boxes: dict[str, Box] = {}
    for index, column in enumerate(columns):
        for node in column:
            x = margin + index * (box_width + column_gap)
            y = margin + row_of[node.key] * (box_height + row_gap)
            short = shorten(node.label, box_width - 16)
            boxes[node.key] = Box(node.key, node.label, short, node.style, x, y, box_width, box_height)

    lines = []
    for a, b in edges:
        first, second = boxes[a], boxes[b]
        if first.x == second.x:  # same column: a loop out of one box's right side and into the other's
            side, y1, y2 = first.x + box_width, first.y + box_height / 2, second.y + box_height / 2
            bulge = side + column_gap / 2
            path = f"M{side:g},{y1:g} C{bulge:g},{y1:g} {bulge:g},{y2:g} {side:g},{y2:g}"
        else:
            near, far = (first, second) if first.x < second.x else (second, first)
            path = _curve(near.x + near.width, near.y + box_height / 2, far.x, far.y + box_height / 2)
        lines.append(Line(a, b, path))

    tallest = max((len(column) for column in columns), default=0)
    width = 2 * margin + len(columns) * box_width + max(len(columns) - 1, 0) * column_gap
    height = 2 * margin + tallest * box_height + max(tallest - 1, 0) * row_gap
    return Layout(list(boxes.values()), lines, width, height, len(columns))
