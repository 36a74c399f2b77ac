"""The leavers file of ``accessbot offboard --csv``: checked whole before anything happens.

    email,at,reason
    alice@acme.example,,left the company
    bob@acme.example,2026-11-30,end of contract          (a date: the end of that day)
    carol@acme.example,2026-11-30T17:00,last shift       (no offset: the catalog's time zone)

Only ``email`` is required. Every problem is reported as ``FILE:LINE: reason``; a file with any
problem changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.cli.runtime import parse_moment
from bot.directory.service import normalise_email
from bot.store.models import Person

COLUMNS = ("email", "at", "reason")


@dataclass(frozen=True)
class Leaver:
    line: int
    email: str
    at: datetime | None  # None or past: now
    reason: str


def read_leavers(path: Path, deps) -> tuple[list[Leaver], list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [f"{path}: cannot read it ({error})"]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    rows = list(reader)
    if "email" not in header:
        return [], [f"{path}:1: no 'email' column (columns: {', '.join(COLUMNS)})"]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [f"{path}:1: unknown column(s) {', '.join(unknown)} (columns: {', '.join(COLUMNS)})"]
    with deps.store.uow() as s:
        known = set(s.scalars(select(Person.email)))
    zone = deps.catalog.settings.zone
    leavers, problems, seen = [], [], {}
    for line, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        leaver, problem = _parse(line, row, known, zone)
        if problem is None and leaver.email in seen:
            problem = f"{leaver.email} is already on line {seen[leaver.email]}"
        if problem:
            problems.append(f"{path}:{line}: {problem}")
        else:
            seen[leaver.email] = line
            leavers.append(leaver)
    if not leavers and not problems:
        problems.append(f"{path}: no leavers in the file")
    return leavers, problems


def _parse(line: int, row: dict[str, str], known: set[str], zone) -> tuple[Leaver | None, str | None]:
    email = normalise_email(row.get("email", ""))
    if not email:
        return None, "the email is empty"
    if email not in known:
        return None, f"{email} is not in the directory"
    at = None
    if row.get("at"):
        try:
            at = parse_moment(row["at"], zone)
        except ValueError as error:
            return None, str(error)
    return Leaver(line, email, at, row.get("reason", "")), None
