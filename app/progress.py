"""A progress bar on stderr for long CLI work (seeding now, backfill later)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """Yields update(done, total); draws on stderr so stdout stays machine-readable.

    The bar is drawn only on a terminal and vanishes when done, so an error after it started
    still leaves exactly one line on stderr.
    """
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task(description, total=total)

    def update(done: int, new_total: int) -> None:
        progress.update(task, completed=done, total=new_total)

    with progress:
        yield update
