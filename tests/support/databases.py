"""Test databases: a migrated SQLite file per test, and one migrated PostgreSQL database per test
worker that is emptied between tests.

PostgreSQL is never skipped: if it cannot be reached the test fails with the reason. To run only
SQLite on a machine without PostgreSQL, say so explicitly: ACCESSBOT_TEST_DATABASES=sqlite.
"""

from __future__ import annotations

import os
import threading

from sqlalchemy import create_engine, text

from bot.store import migrate
from bot.store.db import Base, Store, create_engine_for

PG_ADMIN_URL = os.environ.get("ACCESSBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def selected_backends() -> list[str]:
    chosen = os.environ.get("ACCESSBOT_TEST_DATABASES", "sqlite,postgres")
    return [b.strip() for b in chosen.split(",") if b.strip()]


_pg_lock = threading.Lock()
_pg_ready: dict[str, str] = {}


def postgres_url(worker: str) -> str:
    """Create (once per worker and run) a migrated database and return its URL."""
    with _pg_lock:
        if worker in _pg_ready:
            return _pg_ready[worker]
        name = f"accessbot_test_{worker}_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # make the reason obvious, then fail the test
            raise RuntimeError(
                f"PostgreSQL is required for the postgres half of the suite and is unreachable at "
                f"{PG_ADMIN_URL}: {exc}. Start it (.ci/run does) or set ACCESSBOT_TEST_DATABASES=sqlite."
            ) from exc
        finally:
            admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        engine = create_engine_for(url)
        migrate.upgrade(engine)
        engine.dispose()
        _pg_ready[worker] = url
        return url


def drop_postgres_databases() -> None:
    if not _pg_ready:
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in _pg_ready.values():
            name = url.rsplit("/", 1)[1]
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    _pg_ready.clear()


def empty_postgres(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def open_store(backend: str, tmp_path, worker: str = "gw0") -> Store:
    if backend == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path}/accessbot.db")
        migrate.upgrade(engine)
        return Store(engine)
    if backend == "postgres":
        store = Store(create_engine_for(postgres_url(worker)))
        empty_postgres(store)
        return store
    raise ValueError(f"unknown test database backend {backend!r}")


def row_counts(store: Store) -> dict[str, int]:
    """How many rows each table holds: "nothing changed" for tests that send input that must be refused.

    A refusal on record is not a change: every refusal is audited (``refused.*`` events, throttled for
    early refusals), so those audit rows are left out of the count; every other row counts."""
    with store.engine.connect() as conn:
        return {t.name: conn.execute(text(
                    f'SELECT count(*) FROM "{t.name}"'
                    + (" WHERE action NOT LIKE 'refused.%'" if t.name == "audit_events" else ""))).scalar_one()
                for t in Base.metadata.sorted_tables}
