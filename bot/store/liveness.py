"""Whether the replica that claimed a row is still alive, so its work is taken over in seconds when it
dies instead of when its lease runs out.

Each replica that claims work (due actions, provisioning actions, outbox events) holds a lock that
the operating system or the database server drops the moment the process dies, kill -9 included:

* PostgreSQL: a session-level advisory lock on a connection of its own, held for the life of the
  store. The server releases it as soon as that connection closes, and ``pg_locks`` says who holds
  one, so any replica can tell whether a claimer is alive.
* SQLite (a file, so every replica is on this host): an exclusive ``flock`` on a file per replica id
  beside the database (``<db>.claimers/``). The kernel releases it when the process dies; a claimer
  whose file can be locked by someone else is dead.
* An in-memory SQLite database lives and dies with its only process: every claimer is alive.

A claim stays leased as before (the lease still frees a row whose claimer is alive but stuck); a
claim whose claimer holds no lock is claimable at once. A replica that restarts under the same
configured replica id releases the claims its previous life left, on its first claim.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import threading
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# pg_advisory_lock(NAMESPACE, key): the two-int form shows in pg_locks as classid=NAMESPACE, objsubid=2.
NAMESPACE = 0x61636362  # "accb"
PING_EVERY_SECONDS = 5.0  # how often the lock's connection is checked before a claim relies on it


class ReplicaIdInUse(RuntimeError):
    """Another running process already claims work under this replica id."""

    @classmethod
    def of(cls, replica_id: str) -> ReplicaIdInUse:
        return cls(f"replica id {replica_id!r} is in use by another running accessbot process (set "
                   f"ACCESSBOT_REPLICA_ID to a different value, or leave it unset)")


def lock_key(replica_id: str) -> int:
    return zlib.crc32(replica_id.encode()) & 0x7FFFFFFF


class Claimers:
    """The liveness locks of one store: `hold` before claiming under a replica id, `dead` to learn
    which of some claimers have gone. Thread-safe."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._kind = _kind(engine)
        self._pg_conn = None  # PostgreSQL: the connection that holds our advisory locks
        self._pinged = 0.0
        self._files: dict[str, int] = {}  # SQLite: replica id → the fd that holds its flock
        self._tried: set[str] = set()
        self._in_use: dict[str, float] = {}  # ids another live process holds → when we last tried

    def hold(self, replica_id: str) -> bool:
        """Make sure this process holds ``replica_id``'s lock (and still does) before claiming under
        it. True only when its first try in this store's life takes it: whatever is still claimed
        under that id was then left by a previous life of the replica (bot/store/claims.py releases
        it). Another running process using the same id (a CLI command beside the worker, two
        workers configured alike) is not fatal: it is logged, and until that process stops the
        claims made here under that id are protected by their leases, as before liveness."""
        with self._lock:
            first_try = replica_id not in self._tried
            self._tried.add(replica_id)
            refused_at = self._in_use.get(replica_id)
            if refused_at is not None and time.monotonic() - refused_at < PING_EVERY_SECONDS:
                return False
            try:
                if self._kind == "postgresql":
                    taken = self._hold_pg(replica_id)
                elif self._kind == "file":
                    taken = self._hold_file(replica_id)
                else:
                    taken = replica_id not in self._held
            except ReplicaIdInUse as error:
                self._refused(replica_id, error)
                return False
            self._in_use.pop(replica_id, None)
            self._held.add(replica_id)
            return taken and first_try

    def _refused(self, replica_id: str, error: ReplicaIdInUse) -> None:
        if replica_id not in self._in_use:
            log.warning("%s; until it stops, claims made here under that id wait for their leases", error)
        self._in_use[replica_id] = time.monotonic()
        self._held.discard(replica_id)

    def dead(self, s: Session, claimers: Iterable[str | None]) -> set[str]:
        """Those of ``claimers`` that hold no lock: their process died (or never took one)."""
        wanted = {c for c in claimers if c} - self._held
        if not wanted or self._kind == "memory":
            return set()
        if self._kind == "postgresql":
            alive = set(s.scalars(text(
                "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = :ns "
                "AND objsubid = 2 AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"), {"ns": NAMESPACE}))
            return {c for c in wanted if lock_key(c) not in alive}
        return {c for c in wanted if self._file_is_free(c)}

    def close(self) -> None:
        with self._lock:
            if self._pg_conn is not None:
                try:
                    self._pg_conn.close()
                except Exception:  # closing is what releases the locks; a broken connection already has
                    log.debug("closing the liveness connection failed", exc_info=True)
                self._pg_conn = None
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()
            self._held.clear()

    # -- PostgreSQL --------------------------------------------------------------------------
    def _hold_pg(self, replica_id: str) -> bool:
        if self._pg_conn is not None and time.monotonic() - self._pinged > PING_EVERY_SECONDS:
            try:
                self._pg_execute("SELECT 1")
                self._pinged = time.monotonic()
            except Exception:  # the server dropped us: our locks are gone, take them again
                log.warning("the liveness connection to PostgreSQL was lost; taking the claim locks again",
                            exc_info=True)
                self._pg_conn = None
        if self._pg_conn is None:
            proxied = self.engine.raw_connection()
            proxied.detach()  # ours for the life of the store, never handed to another checkout
            conn = proxied.dbapi_connection
            conn.autocommit = True
            self._pg_conn, self._pinged = conn, time.monotonic()
            for held in sorted(self._held):
                try:
                    self._take_pg(held)
                except ReplicaIdInUse as error:
                    self._refused(held, error)
        if replica_id in self._held:
            return False
        self._take_pg(replica_id)
        return True

    def _take_pg(self, replica_id: str) -> None:
        if not self._pg_execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, lock_key(replica_id)))[0]:
            raise ReplicaIdInUse.of(replica_id)

    def _pg_execute(self, sql: str, params: tuple = ()):
        cursor = self._pg_conn.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    # -- SQLite file -------------------------------------------------------------------------
    def _lock_path(self, replica_id: str) -> Path:
        name = hashlib.sha256(replica_id.encode()).hexdigest()[:24]
        return Path(f"{self.engine.url.database}.claimers") / f"{name}.lock"

    def _hold_file(self, replica_id: str) -> bool:
        if replica_id in self._files:
            return False
        path = self._lock_path(replica_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise ReplicaIdInUse.of(replica_id) from None
                raise
            try:
                same_file = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:  # not a file another replica removed while we were opening it
                self._files[replica_id] = fd
                return True
            os.close(fd)

    def _file_is_free(self, replica_id: str) -> bool:
        path = self._lock_path(replica_id)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            raise
        else:
            path.unlink(missing_ok=True)  # its holder is gone; a replica taking it again makes a new one
            return True
        finally:
            os.close(fd)


def _kind(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        return "postgresql"
    database = engine.url.database
    return "file" if database and database != ":memory:" else "memory"
