"""Bulk rows into the real tables: COPY on PostgreSQL (psycopg 3), executemany on SQLite.

Rows are tuples in the order of ``columns``; datetimes must be timezone-aware UTC and JSON
columns Python objects, as the ORM would take them. Primary keys are given by the generator,
so sequences are moved past them afterwards (``reset_sequences``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone

from sqlalchemy import JSON, text
from sqlalchemy.engine import Engine

from bot.store.db import Base


def write(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    json_at = [i for i, c in enumerate(columns) if isinstance(Base.metadata.tables[table].c[c].type, JSON)]
    if engine.dialect.name == "postgresql":
        return _copy(engine, table, columns, rows, json_at)
    return _executemany(engine, table, columns, rows, json_at)


def _copy(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[tuple], json_at: list[int]) -> int:
    count = 0
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i], separators=(",", ":"))
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _sqlite_value(value):
    # What SQLAlchemy's SQLite DateTime/Date types store: naive UTC text.
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _executemany(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[tuple],
                 json_at: list[int], chunk: int = 20_000) -> int:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    count, batch = 0, []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")  # the engine's connections autocommit each statement otherwise
        for row in rows:
            values = [_sqlite_value(v) for v in row]
            for i in json_at:
                values[i] = json.dumps(values[i], separators=(",", ":"))
            batch.append(values)
            if len(batch) >= chunk:
                cur.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
        cur.execute("COMMIT")
    finally:
        raw.close()
    return count


def reset_sequences(engine: Engine, tables: Iterable[str]) -> None:
    if engine.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues after the largest id by itself
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
