"""The database side of ``connectors.host``: a lock every replica shares and facts every replica reads.

Lock. On PostgreSQL, ``pg_advisory_xact_lock`` on a stable 64-bit hash of the key, taken in a
transaction on a connection of its own and held for the ``with`` block: a connector's
read-modify-write of a target (seconds of HTTP) runs outside any of the bot's own transactions,
and ending the transaction (commit, rollback, or the connection dying with the replica) always
releases it, so a lock can never stay behind on a pooled connection. On SQLite the lock is the
in-process one: a SQLite database is a local file served by one accessbot process, so there is no
other replica to exclude (run PostgreSQL to run several replicas).

Facts. Rows of ``connector_facts``, written with an upsert so two replicas learning the same fact
at once both succeed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.domain.clock import Clock
from bot.store.db import Store, create_engine_for
from bot.store.models import ConnectorFact
from connectors.errors import TransientError
from connectors.host import ConnectorHost, InProcessLocks, KeyedLock

log = logging.getLogger(__name__)

# Hashed with the key so these ids stay apart from the bot's other advisory locks (bot/audit/log.py).
LOCK_NAMESPACE = "accessbot connector lock:"
DEFAULT_LOCK_WAIT_SECONDS = 60.0


def advisory_lock_id(key: str) -> int:
    """A signed 64-bit id for ``key``, the same in every process (Python's ``hash()`` is salted per process)."""
    digest = hashlib.blake2b((LOCK_NAMESPACE + key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    """A ``KeyedLock`` shared by every process using the same PostgreSQL database."""

    def __init__(self, engine: Engine, *, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS):
        self.engine = engine
        self.wait_seconds = wait_seconds

    @contextmanager
    def __call__(self, key: str) -> Iterator[None]:
        with self.engine.connect() as conn, conn.begin():
            # A holder waits on its target, not on the database: the server must not end the idle
            # transaction (that would drop the lock mid-change), and a waiter gives up in bounded time.
            conn.execute(text("SELECT set_config('idle_in_transaction_session_timeout', '0', true), "
                              "set_config('lock_timeout', :wait, true)"),
                         {"wait": f"{int(self.wait_seconds * 1000)}ms"})
            try:
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": advisory_lock_id(key)})
            except OperationalError as exc:
                raise TransientError(f"could not take the lock on {key} within {self.wait_seconds:g} s "
                                     f"(another replica is changing it, or the database is unreachable: "
                                     f"{type(exc.orig).__name__}); retrying later is safe") from None
            yield


def keyed_lock_for(store: Store) -> KeyedLock:
    return AdvisoryLocks(store.engine) if store.dialect == "postgresql" else InProcessLocks()


class StoredFacts:
    """A ``LearnedFacts`` on the ``connector_facts`` table."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    def recall(self, connector: str, fact: str) -> str | None:
        try:
            with self.store.uow() as s:
                return s.scalar(select(ConnectorFact.value).where(ConnectorFact.connector == connector,
                                                                  ConnectorFact.fact == fact))
        except SQLAlchemyError as exc:
            # A fact only saves a failing call: the connector goes on with its configuration.
            log.warning("cannot read what %s learned (%s): %s", connector, fact, type(exc).__name__)
            return None

    def remember(self, connector: str, fact: str, value: str) -> None:
        insert = pg_insert if self.store.dialect == "postgresql" else sqlite_insert
        statement = insert(ConnectorFact).values(connector=connector, fact=fact, value=value,
                                                 learned_at=self.clock.now())
        statement = statement.on_conflict_do_update(
            index_elements=[ConnectorFact.connector, ConnectorFact.fact],
            set_={"value": statement.excluded.value, "learned_at": statement.excluded.learned_at})
        try:
            with self.store.uow() as s:
                s.execute(statement)
        except SQLAlchemyError as exc:
            # The connector keeps the fact in memory; another process will learn it again.
            log.warning("cannot keep what %s learned (%s=%s): %s", connector, fact, value, type(exc).__name__)


def database_host(store: Store, clock: Clock) -> ConnectorHost:
    """What the bot lends its connectors: the lock and the facts above."""
    return ConnectorHost(lock=keyed_lock_for(store), facts=StoredFacts(store, clock),
                         lock_spans_replicas=store.dialect == "postgresql")


def existing_store_with_facts(database_url: str) -> Store | None:
    """The bot's database, for reading learned facts, if it exists and holds them; never creates or migrates one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None
    store = Store(create_engine_for(database_url))
    try:
        if inspect(store.engine).has_table(ConnectorFact.__tablename__):
            return store
    except SQLAlchemyError as exc:
        log.warning("cannot read learned connector facts from the database: %s", type(exc).__name__)
    store.dispose()
    return None
