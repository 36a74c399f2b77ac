"""What ``accessbot reconcile`` shows while it reads the systems: a live table on a terminal (rich),
plain lines otherwise (a log, a CI job, a pipe). Both go to stderr, so ``--json`` stays parseable.

Told by ``bot.reconcile.drift`` after every page, from the reading threads."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.reconcile.drift import Progress as Reading
from bot.reconcile.drift import ProgressFn

AUTO, LIVE, PLAIN, OFF = "auto", "live", "plain", "off"
MODES = (AUTO, LIVE, PLAIN, OFF)


def summary(p: Reading) -> str:
    if p.not_checked:
        return f"not checked ({p.not_checked})"
    return (f"{p.targets_done}/{p.targets} targets, {p.pages} pages, {p.memberships} memberships, "
            f"{p.orphans} orphaned, {p.missing} missing, {p.errors} not listed")


class PlainLines:
    """A line per system when it is done, and one every ``every`` seconds per system while it reads."""

    def __init__(self, echo: Callable[[str], None], every: float = 10.0):
        self.echo, self.every = echo, every
        self.lock = threading.Lock()
        self.last: dict[str, float] = {}

    def __call__(self, p: Reading) -> None:
        now = time.monotonic()
        with self.lock:
            if not p.done and now - self.last.setdefault(p.system, now) < self.every:
                return
            self.last[p.system] = now
            self.echo(f"{p.system}: {'done' if p.done else 'reading'}, {summary(p)}")


class LiveTable:
    """One row per system: a bar of its targets, pages and memberships read, findings so far."""

    def __init__(self, console: Console, systems: list[str]):
        self.bars = Progress(TextColumn("{task.fields[system]}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                             TextColumn("{task.fields[line]}"), TimeElapsedColumn(), console=console)
        self.tasks = {name: self.bars.add_task(name, total=None, system=name, line="waiting") for name in systems}
        self.lock = threading.Lock()

    def __call__(self, p: Reading) -> None:
        line = summary(p) if p.not_checked else (f"{p.pages} pages, {p.memberships} members; {p.orphans} orphaned, "
                                                 f"{p.missing} missing, {p.errors} failed")
        with self.lock:
            task = self.tasks.get(p.system)
            if task is None:
                task = self.tasks[p.system] = self.bars.add_task(p.system, system=p.system, line="")
            self.bars.update(task, total=max(p.targets, 1) if p.not_checked else p.targets,
                             completed=max(p.targets, 1) if p.done else p.targets_done, line=line)


def on_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def shown(mode: str, systems: list[str]) -> Iterator[ProgressFn | None]:
    """The progress callback for ``mode``; ``auto`` is live when stdout is a terminal, plain otherwise."""
    if mode == AUTO:
        mode = LIVE if on_terminal() else PLAIN
    if mode == OFF:
        yield None
    elif mode == PLAIN:
        yield PlainLines(lambda line: typer.echo(line, err=True))
    else:
        table = LiveTable(Console(stderr=True, force_terminal=True), systems)
        with table.bars:
            yield table
