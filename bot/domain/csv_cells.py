"""CSV files that are safe to open in a spreadsheet. Names, departments and reasons come from HR,
SCIM and vendors, so a cell such as ``=HYPERLINK(...)`` or ``@SUM(...)`` must not become a formula
when an auditor opens the file (CSV injection). Following OWASP's guidance
(https://owasp.org/www-community/attacks/CSV_Injection), a text cell that starts with = + - @, a
tab or a carriage return is prefixed with a single quote; numbers are written as they are.

Every CSV writer in accessbot goes through ``writer`` or ``dict_writer``."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it as text, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Writer:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row: Iterable[Any]):
        return self._inner.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter:
    def __init__(self, inner: csv.DictWriter):
        self._inner = inner

    def writeheader(self):
        return self._inner.writeheader()

    def writerow(self, row: Mapping[str, Any]):
        return self._inner.writerow({key: cell(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> _Writer:
    """``csv.writer`` whose cells cannot be formulas."""
    return _Writer(csv.writer(out, **options))


def dict_writer(out, fieldnames, **options) -> _DictWriter:
    """``csv.DictWriter`` whose cells cannot be formulas."""
    return _DictWriter(csv.DictWriter(out, fieldnames=fieldnames, **options))
