"""Seconds between two UTC columns, computed by the database (both dialects)."""

from __future__ import annotations

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """``seconds_between(end, start)``: end - start in seconds, as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _pg(element, compiler, **kw):
    end, start = list(element.clauses)
    # A double, not EXTRACT's numeric: psycopg turns numerics into Decimals, 20 µs a row.
    return (f"CAST(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) "
            "AS DOUBLE PRECISION)")


@compiles(seconds_between, "sqlite")
def _sqlite(element, compiler, **kw):
    # UTCDateTime stores naive UTC text on SQLite; julianday() reads it to ~0.1 ms.
    end, start = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"


class whole_weeks_between(FunctionElement):  # noqa: N801
    """``whole_weeks_between(end, start)``: how many whole weeks from start to end (end >= start)."""

    type = Integer()
    inherit_cache = True
    name = "whole_weeks_between"


@compiles(whole_weeks_between, "postgresql")
def _pg_weeks(element, compiler, **kw):
    end, start = list(element.clauses)
    return f"CAST(FLOOR({compiler.process(seconds_between(end, start), **kw)} / 604800) AS INTEGER)"


@compiles(whole_weeks_between, "sqlite")
def _sqlite_weeks(element, compiler, **kw):
    end, start = list(element.clauses)
    return f"CAST({compiler.process(seconds_between(end, start), **kw)} / 604800 AS INTEGER)"
