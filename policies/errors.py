"""Load errors: every problem found in a catalog, each pinned to a file and a line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class PolicyIssue:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class PolicyLoadError(Exception):
    """The catalog (or people file) is invalid. ``issues`` holds every problem, not just the first."""

    def __init__(self, issues: Iterable[PolicyIssue]):
        self.issues: list[PolicyIssue] = _unique(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)


def _unique(issues: Iterable[PolicyIssue]) -> list[PolicyIssue]:
    # An inherited value is checked once per entitlement that inherits it; report it once.
    seen: set[PolicyIssue] = set()
    unique = []
    for issue in issues:
        if issue not in seen:
            seen.add(issue)
            unique.append(issue)
    return unique


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """' (did you mean 'x'?)' when something close exists, else ''."""
    options = list(candidates)
    close = difflib.get_close_matches(word, options, n=2, cutoff=cutoff)
    if not close:
        close = [c for c in options if c.lower() == word.lower()]
    if not close:
        return ""
    quoted = " or ".join(repr(c) for c in close)
    return f" (did you mean {quoted}?)"
