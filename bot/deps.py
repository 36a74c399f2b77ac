"""Everything a front end needs, built once from settings and passed down (no globals)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot import features  # noqa: F401 (registers every feature: runner preconditions, outcome hooks)
from bot.domain.clock import Clock, SystemClock
from bot.oncall.service import OnCallService, load_service
from bot.ledger.context import Actor, Ctx
from bot.provisioning.runner import ProvisioningRunner
from bot.settings import Settings, credentials_environment
from bot.store import db as store_db
from bot.store.db import Store
from connectors.registry import ConnectorSet

log = logging.getLogger(__name__)


@dataclass
class Deps:
    settings: Settings
    store: Store
    catalog: object
    connectors: ConnectorSet
    clock: Clock
    runner: ProvisioningRunner = field(init=False)
    executor: ThreadPoolExecutor = field(init=False)
    # Called after a transaction that queued work or notifications: wake the workers now rather
    # than at the next sweep. Front ends register listeners (the Slack notifier does).
    after_commit_hooks: list[Callable[[], None]] = field(default_factory=list)
    # False in the web process of a split deployment (bot/worker.py): connector calls, timers and
    # Slack notifications run in the worker process, so kick() only wakes it (an after-commit hook).
    runs_background_work: bool = True
    _kick_lock: threading.Lock = field(default_factory=threading.Lock)
    _kick_queued: Future | None = field(default=None, init=False)
    # Who is on call (bot/oncall), for auto-approve rules; None: read ACCESSBOT_ON_CALL_FILE, if set.
    on_call: OnCallService | None = None

    def __post_init__(self) -> None:
        if self.on_call is None:
            self.on_call = load_service(self.settings.on_call_file, credentials_environment(), self.clock,
                                        timedelta(seconds=self.settings.on_call_cache_seconds))
        self.runner = ProvisioningRunner(self.store, self.connectors, self.clock, lambda: self.catalog,
                                         replica_id=self.settings.replica_id)
        self.executor = ThreadPoolExecutor(max_workers=self.settings.worker_threads,
                                           thread_name_prefix="accessbot-work")

    def ctx(self, actor: Actor) -> Ctx:
        return Ctx(self.catalog, self.clock.now(), actor, self.on_call)

    def kick(self) -> Future:
        """Run due provisioning and notifications in the background (never in the caller's thread).

        Kicks that arrive before the queued drain has begun share it: its claim sees their commits."""
        if not self.runs_background_work:
            self.wake()
            done: Future = Future()
            done.set_result(None)
            return done
        with self._kick_lock:
            if self._kick_queued is None:
                self._kick_queued = self.executor.submit(self._drain)
            return self._kick_queued

    def wake(self) -> None:
        """Tell the after-commit listeners (notifiers, timers) that something was committed."""
        for hook in list(self.after_commit_hooks):
            hook()

    def _drain(self) -> None:
        with self._kick_lock:
            self._kick_queued = None  # a commit from now on may come after our claim: it needs a drain of its own
        try:
            self.runner.run_due()
            self.wake()
        except Exception:  # the outermost worker boundary: log with stack, the sweep will retry
            log.exception("background work failed; the periodic sweep will pick it up again")

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=False)
        self.runner.close()
        self.connectors.close()
        if self.on_call is not None:
            self.on_call.close()
        self.store.dispose()


def open_store(settings: Settings, *, upgrade: bool = True) -> Store:
    return store_db.open_store(settings.database_url, upgrade=upgrade)


def build_deps(settings: Settings, *, clock: Clock | None = None, connectors: ConnectorSet | None = None,
               catalog=None, sync_people: bool = True, database_ready: bool = False) -> Deps:
    """``database_ready``: another process (the ``serve`` that spawned this worker) has just
    migrated this database and synced the people file; do neither again (each was a part of the
    worker child's start-up, before its first revoke)."""
    from bot.directory.people_file import sync_people_file
    from bot.loading import load_catalog_for, load_connectors_for

    store = open_store(settings, upgrade=not database_ready)
    clock = clock or SystemClock()
    people_path: Path | None = settings.resolved_people_file()
    if sync_people and not database_ready and people_path is not None:
        with store.uow() as s:
            sync_people_file(s, people_path, now=clock.now())
    if connectors is None:
        from bot.store.connector_host import database_host

        connectors = load_connectors_for(settings, database_host(store, clock))
    catalog = catalog if catalog is not None else load_catalog_for(settings, store, connectors, now=clock.now())
    return Deps(settings=settings, store=store, catalog=catalog, connectors=connectors, clock=clock)
