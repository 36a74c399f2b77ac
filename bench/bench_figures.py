"""Figures every scale bench prints: wall time, this process's CPU time, the machine's load, peak
RSS, and how many SQL statements ran. On a shared machine the wall time alone says little; the
CPU time and the load say whether a slow figure is ours or the neighbours'."""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import time
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Meter:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.wall

    @property
    def cpu_used(self) -> float:
        return time.process_time() - self.cpu

    def __str__(self) -> str:
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        return f"wall {self.elapsed:.3f}s, cpu {self.cpu_used:.3f}s, load {load}, peak rss {peak_rss_mb():.0f} MB"


class QueryCounter:
    """Counts statements sent on ``engine`` while active."""

    def __init__(self, engine: Engine):
        self.engine, self.count, self.statements = engine, 0, []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@contextmanager
def profiled(enabled: bool, top: int = 25):
    """cProfile around the block; prints the functions with the most cumulative time."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
        print(out.getvalue())


def scale_parser(doc: str) -> argparse.ArgumentParser:
    """The options every scale bench takes: which database, how big, which seed, and a profile."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (any database name); SQLite when omitted")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000 people; 0.05 for a quick run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the measured part")
    return parser
