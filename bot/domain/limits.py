"""What the databases can store, for checking input at the edge instead of failing in the driver.

Row ids are INTEGER columns, 32-bit on PostgreSQL (64-bit on SQLite): an id past 2**31 - 1 cannot
name a row, and passing one to a query raises NumericValueOutOfRange (PostgreSQL) or, from 2**63,
OverflowError (SQLite). So ids from buttons, URLs and SCIM paths are checked here and answered
"not found" or refused. PostgreSQL
text cannot hold NUL, and no UTF-8 database holds a lone surrogate (JSON's ``"\\ud800"`` decodes
to one): such text is refused before it reaches a transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, Field

DB_INT_MAX = 2**31 - 1  # the row id columns (models: mapped_column(primary_key=True) is INTEGER)
# Far enough for any schedule, early enough that adding the longest duration (policies.durations)
# or a grace period to it still makes a datetime (they end at 9999).
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
LATEST_EPOCH = int(LATEST.timestamp())

RowId = Annotated[int, Field(ge=0, le=DB_INT_MAX)]  # 0 names no row, but views render sample ids of 0
EpochSeconds = Annotated[int, Field(ge=0, le=LATEST_EPOCH)]
SchedulableDatetime = Annotated[datetime, AfterValidator(lambda v: schedulable(v))]

_DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "²" and "١"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def row_id(text: Any) -> int | None:
    """The row id ``text`` spells, or None when it cannot be one (so the caller answers "not found")."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and _DIGITS.fullmatch(text):
        value = int(text)
    else:
        return None
    return value if 1 <= value <= DB_INT_MAX else None


def unstorable(value: Any, where: str = "") -> str | None:
    """Where in ``value`` (a str, or JSON-like dicts and lists) there is text no database stores."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        what = "a NUL character" if found.group() == "\x00" else "a lone surrogate (not valid Unicode)"
        return f"{where or 'the text'} contains {what}"
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            problem = unstorable(key, f"{path} (the name)") or unstorable(item, path)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = unstorable(item, f"{where}[{index}]")
            if problem:
                return problem
    return None


def _storable(value: str) -> str:
    problem = unstorable(value)
    if problem:
        raise ValueError(problem)
    return value


def schedulable(value: datetime) -> datetime:
    if value.year >= LATEST.year or value.year < 1970:
        raise ValueError(f"must be between 1970 and {LATEST.year}")
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
