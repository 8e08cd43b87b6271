"""The live display of calibrate and watch: a rich table of every container's usage against its
limit, with a progress bar, redrawn in place. Only on a terminal: elsewhere (CI logs, pipes) the
commands print plain lines, and `NullDisplay` stands in.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from composegen.units import human_bytes

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.progress import Progress, TaskID


@dataclass(frozen=True)
class Row:
    """One container's line in the table."""

    container: str
    service: str
    working_set: int | None
    limit: int | None
    peak: int | None
    cpu: float | None  # cores
    pids: int | None
    state: str  # running, exited, OOM-killed, ...
    level: str = ""  # "", "warning", "critical" (watch)
    vram: int | None = None  # peak bytes on its busiest GPU (NVML: composegen.engine.gpu); None: not read


def short_name(container: str, project: str) -> str:
    """`app-1` for `<project>-app-1`: the project is in the title already."""
    prefix = f"{project}-"
    return container[len(prefix) :] if project and container.startswith(prefix) else container


def percent(used: int | None, limit: int | None) -> float | None:
    return used / limit if used is not None and limit else None


class Display(Protocol):
    def phase(self, name: str, seconds: float | None) -> None: ...

    def update(self, rows: Sequence[Row], elapsed: float, note: str = "") -> None: ...

    def __enter__(self) -> Display: ...

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


class NullDisplay:
    """No live display (not a terminal, or asked for none)."""

    def phase(self, name: str, seconds: float | None) -> None:
        pass

    def update(self, rows: Sequence[Row], elapsed: float, note: str = "") -> None:
        pass

    def __enter__(self) -> NullDisplay:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        pass


_STYLES = {"warning": "yellow", "critical": "bold red"}


class LiveDisplay:
    """A rich Live table with a progress bar for the current phase, on stderr."""

    def __init__(self, title: str, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.title = title
        self.console = console or Console(stderr=True)
        self.progress: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[left]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.task: TaskID | None = None
        self.live: Live | None = None
        self.rows: Sequence[Row] = ()
        self.note = ""

    def __enter__(self) -> LiveDisplay:
        from rich.live import Live

        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
        self.live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.live is not None:
            self.live.__exit__(kind, value, traceback)
            self.live = None

    def phase(self, name: str, seconds: float | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(name, total=seconds, left="")
        self._refresh()

    def update(self, rows: Sequence[Row], elapsed: float, note: str = "") -> None:
        self.rows = rows
        self.note = note
        if self.task is not None:
            task = self.progress.tasks[self.task]
            left = f"{max(0.0, (task.total or 0) - elapsed):.0f}s left" if task.total else "until the command ends"
            self.progress.update(self.task, completed=min(elapsed, task.total or elapsed), left=left)
        self._refresh()

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._render())

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table

        table = Table(title=self.title, expand=False)
        vram = any(row.vram is not None for row in self.rows)  # a column only where a GPU was read
        columns = ("CONTAINER", "SERVICE", "MEMORY", "LIMIT", "USE", "PEAK", *(("VRAM",) if vram else ()), "CPU")
        for column in (*columns, "PIDS", "STATE"):
            table.add_column(column, justify="right" if column in columns[2:] else "left")
        for row in self.rows:
            share = percent(row.working_set, row.limit)
            shown_vram = ((human_bytes(row.vram) if row.vram is not None else "-"),) if vram else ()
            table.add_row(
                row.container,
                row.service,
                human_bytes(row.working_set) if row.working_set is not None else "-",
                human_bytes(row.limit) if row.limit else "none",
                f"{share:.0%}" if share is not None else "-",
                human_bytes(row.peak) if row.peak is not None else "-",
                *shown_vram,
                f"{row.cpu * 100:.1f}%" if row.cpu is not None else "-",
                str(row.pids) if row.pids is not None else "-",
                row.state + (f" {row.level}" if row.level else ""),
                style=_STYLES.get(row.level, ""),
            )
        parts: list[RenderableType] = [self.progress, table]
        if self.note:
            parts.append(self.note)
        return Group(*parts)


def on_terminal() -> bool:
    return sys.stderr.isatty()


def display(title: str, live: bool | None = None) -> Display:
    """A live display when `live` (default: stderr is a terminal), else one that shows nothing."""
    if live is None:
        live = on_terminal()
    return LiveDisplay(title) if live else NullDisplay()
