"""Wake-ups between processes: the web process tells the worker that it committed work.

The database is the truth; a wake-up only says "look now" and carries nothing. A lost one costs
at most one sweep interval, because the worker's notifier and timers sweep periodically anyway.

* PostgreSQL: ``NOTIFY accessbot_work`` inside every transaction that wrote, so PostgreSQL delivers
  it exactly when (and only if) the work is committed, at no extra round trip or connection; the
  worker ``LISTEN``s on its own connection (reconnecting with backoff, and waking once after a
  reconnect for what it missed).
* SQLite (one machine by nature): the commit itself is the signal. The worker polls
  ``PRAGMA data_version``, which changes whenever another connection commits to the file; a poll
  is one read of shared memory, so the web process sends nothing at all.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.store.db import Store

log = logging.getLogger(__name__)

CHANNEL = "accessbot_work"
SQLITE_POLL_SECONDS = 0.05
RECONNECT_MAX_SECONDS = 30.0


def announce_commits(store: Store) -> None:
    """Make every transaction of ``store`` that wrote something wake the worker when it commits."""
    if store.dialect != "postgresql":
        return  # the worker sees SQLite commits through data_version

    @event.listens_for(store.sessions, "after_flush")
    def _wrote(session: Session, _context) -> None:
        session.info["wakes_worker"] = True

    @event.listens_for(store.sessions, "before_commit")
    def _announce(session: Session) -> None:
        flushed = session.info.pop("wakes_worker", False)
        if flushed or session.new or session.dirty or session.deleted:  # or the commit's own flush will write
            session.execute(text(f"NOTIFY {CHANNEL}"))  # folded with any other NOTIFY of this transaction

    @event.listens_for(store.sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop("wakes_worker", None)


def listen(engine: Engine, on_wake: Callable[[], None], stop: threading.Event) -> None:
    """Call ``on_wake`` (cheap, non-blocking) whenever another process committed work; returns
    when ``stop`` is set. Run it on a thread of its own."""
    if engine.dialect.name == "postgresql":
        _listen_postgres(engine, on_wake, stop)
    elif engine.dialect.name == "sqlite":
        _poll_sqlite(engine, on_wake, stop)
    else:
        log.warning("no wake-ups on %s: the worker relies on its periodic sweep", engine.dialect.name)


def _listen_postgres(engine: Engine, on_wake: Callable[[], None], stop: threading.Event) -> None:
    import psycopg

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    backoff = 0.5
    while not stop.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                backoff = 0.5
                on_wake()  # whatever was committed while we were not listening
                while not stop.is_set():
                    for _ in conn.notifies(timeout=0.5):
                        on_wake()
        except psycopg.Error as error:
            log.warning("listening for wake-ups failed (%s); retrying in %.1f s", type(error).__name__, backoff)
            stop.wait(backoff)
            backoff = min(RECONNECT_MAX_SECONDS, backoff * 2)


def _poll_sqlite(engine: Engine, on_wake: Callable[[], None], stop: threading.Event) -> None:
    path = engine.url.database
    if not path or path == ":memory:":
        log.warning("an in-memory SQLite database cannot be shared with a worker process")
        return
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        seen = None
        while not stop.is_set():
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != seen:
                seen = version
                on_wake()
            stop.wait(SQLITE_POLL_SECONDS)
    finally:
        conn.close()
