"""What `towers` commands print with: a rich console on the command's output, and one style of progress bar."""

from typing import IO, cast

from django.core.management.base import OutputWrapper
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def command_console(stdout: OutputWrapper) -> Console:
    return Console(file=cast(IO[str], stdout))  # OutputWrapper writes like a file


def progress_bar(console: Console, *, disable: bool = False) -> Progress:
    """Description, bar, done/total and time left: use as `with progress_bar(c) as p: p.add_task(...)`."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
    )
