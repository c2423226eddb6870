"""The impact graph's layout: columns by depth, children beside their parents, nothing drawn twice."""

from towers.cmdb.graph_layout import GraphNode, layout_graph, shorten


def _positions(layout):
    return {box.key: (box.x, box.y) for box in layout.boxes}


def test_nodes_go_in_one_column_per_depth_and_rows_from_the_top():
    nodes = [GraphNode("dc", "DC1", 0), GraphNode("srv", "srv-01", 1), GraphNode("app", "Crime", 2)]
    layout = layout_graph(nodes, [("srv", "dc"), ("app", "srv")], box_width=100, column_gap=50, margin=10)
    assert _positions(layout) == {"dc": (10, 10), "srv": (160, 10), "app": (310, 10)}
    assert layout.columns == 3
    assert (layout.width, layout.height) == (10 + 3 * 100 + 2 * 50 + 10, 10 + 34 + 10)


def test_depths_with_gaps_still_make_adjacent_columns():
    layout = layout_graph([GraphNode("a", "a", 0), GraphNode("b", "b", 4)], [], box_width=100, column_gap=50)
    assert [box.x for box in layout.boxes] == [10, 160]


def test_children_sit_in_the_order_of_their_parents_so_lines_do_not_cross():
    nodes = [
        GraphNode("root", "root", 0),
        GraphNode("p-z", "Zulu", 1),
        GraphNode("p-a", "Alpha", 1),
        GraphNode("c-of-z", "aaa child of Zulu", 2),
        GraphNode("c-of-a", "zzz child of Alpha", 2),
    ]
    edges = [("p-z", "root"), ("p-a", "root"), ("c-of-z", "p-z"), ("c-of-a", "p-a")]
    rows = {box.key: box.y for box in layout_graph(nodes, edges).boxes}
    assert rows["p-a"] < rows["p-z"]  # siblings by label
    assert rows["c-of-a"] < rows["c-of-z"]  # then by their parent's row, whatever their own label


def test_an_edge_to_a_node_not_drawn_is_left_out_and_each_edge_joins_facing_sides():
    nodes = [GraphNode("a", "a", 0), GraphNode("b", "b", 1)]
    layout = layout_graph(nodes, [("b", "a"), ("c", "b"), ("a", "a")], box_width=100, box_height=30, margin=0)
    assert [(line.source, line.target) for line in layout.lines] == [("b", "a")]
    # From the right side of the box on the left to the left side of the box on the right, at mid-height.
    assert layout.lines[0].path.startswith("M100,15 C") and layout.lines[0].path.endswith(" 170,15")


def test_styles_pass_through_and_long_labels_are_shortened_to_fit():
    long = "an-application-server-with-a-very-long-name.example.org"
    (box,) = layout_graph([GraphNode("x", long, 0, "down layer-application")], [], box_width=120).boxes
    assert box.style == "down layer-application" and box.label == long
    assert box.short_label.endswith("…") and len(box.short_label) * 7 <= 120
    assert shorten("short", 120) == "short"


def test_an_empty_graph_has_no_size_beyond_its_margins():
    layout = layout_graph([], [])
    assert (layout.boxes, layout.lines, layout.columns) == ([], [], 0)
    assert (layout.width, layout.height) == (20, 20)
