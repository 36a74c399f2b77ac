"""Audit rows straight from the driver, in ``seq`` order, for `verify` and `export` over millions of events.

A PostgreSQL server-side cursor (the sqlite3 cursor on SQLite) read in batches: memory stays constant, and
neither SQLAlchemy's row processing nor psycopg's timestamp and JSON loaders run per row (they were most of
the CPU of a verify). The database formats the timestamp; the detail comes as its JSON text.

On PostgreSQL a reader thread fetches the next batches while the caller works on this one (at most
``AHEAD`` batches wait, so memory stays constant): psycopg releases the GIL while it waits on the
socket, so the server producing rows and Python hashing them overlap instead of taking turns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from sqlalchemy.orm import Session

# The stored columns in this order, the timestamp as ``isoformat(timespec="microseconds")`` writes the UTC
# datetime an ordinary read gives, or NULL where that is not certain (the caller reads such a row again
# through SQLAlchemy).
COLUMNS = ("seq", "occurred_at", "actor", "action", "subject_type", "subject_id", "person_email", "trigger",
           "detail", "prev_hash", "hash")
_PG_OCCURRED = ("CASE WHEN occurred_at BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00' "
                "THEN to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END")
# SQLite keeps SQLAlchemy's text "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC).
_DIGITS = "[0-9][0-9]"
_SQLITE_SHAPE = f"{_DIGITS}{_DIGITS}-{_DIGITS}-{_DIGITS} {_DIGITS}:{_DIGITS}:{_DIGITS}.{_DIGITS * 3}"
_SQLITE_OCCURRED = (f"CASE WHEN typeof(occurred_at) = 'text' AND occurred_at GLOB '{_SQLITE_SHAPE}' "
                    "THEN substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12) || '+00:00' END")
_SELECT = ("SELECT seq, {occurred}, actor, action, subject_type, subject_id, person_email, trigger, "
           "CAST(detail AS TEXT), prev_hash, hash FROM audit_events{where} ORDER BY seq")


def supported(s: Session) -> bool:
    return s.get_bind().dialect.name in ("postgresql", "sqlite")


def stream(s: Session, *, batch: int, up_to: int | None = None, since: datetime | None = None,
           name: str = "accessbot_audit_rows") -> Iterator[tuple]:
    """Tuples in COLUMNS order (``supported`` databases only), oldest first; ``up_to`` a last seq,
    ``since`` a first occurred_at."""
    pg = s.get_bind().dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    conditions, params = [], []
    if up_to is not None:
        conditions.append(f"seq <= {mark}")
        params.append(up_to)
    if since is not None:
        conditions.append(f"occurred_at >= {mark}")
        utc = since.astimezone(timezone.utc)
        # SQLite compares SQLAlchemy's stored text, so the bound value is written the same way.
        params.append(utc if pg else utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"))
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    sql = _SELECT.format(occurred=_PG_OCCURRED if pg else _SQLITE_OCCURRED, where=where)
    driver = s.connection().connection.driver_connection
    cursor = driver.cursor(name=name) if pg else driver.cursor()
    if pg:
        cursor.itersize = batch
    try:
        cursor.execute(sql, params)
        if pg:
            for rows in prefetched(lambda: cursor.fetchmany(batch)):
                yield from rows
        else:  # a sqlite3 connection is for the thread that opened it
            while rows := cursor.fetchmany(batch):
                yield from rows
    finally:
        cursor.close()


AHEAD = 2
_END = object()


def prefetched(fetch: Callable[[], list], ahead: int = AHEAD) -> Iterator[list]:
    """``fetch()``'s batches until an empty one, fetched by a reader thread up to ``ahead`` batches in
    advance. Its error is raised here; when the caller stops early the thread stops before this returns
    (so the cursor can be closed)."""
    ready: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def hand(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            while rows := fetch():
                if not hand(rows):
                    return
            hand(_END)
        except BaseException as error:  # handed to the caller's thread, raised there
            hand(error)

    reader = threading.Thread(target=read, name="accessbot-audit-rows", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
