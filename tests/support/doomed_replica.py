"""A replica in a process of its own, for tests that kill it (SIGKILL) in the middle of its work.

It claims through accessbot's own code, as a worker does: the due rows that are due, the outbox
events it may handle, and the queued provisioning actions, whose connector calls it really makes
(the target applies them) and then never records: the connector hangs after applying, so the
process is killed between the call and its record. When everything is claimed it prints one JSON
line of what it holds and waits to be killed.

    python -m tests.support.doomed_replica DATABASE_URL CATALOG REPLICA_ID NOW_ISO
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime

from bot.domain.clock import ManualClock
from bot.provisioning.runner import ProvisioningRunner
from bot.slack import outbox
from bot.store.db import Store, create_engine_for
from bot.timers import claim
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from policies import load_catalog
from tests.support.world import PEOPLE

HANG_SECONDS = 600  # far longer than any test waits; the test kills the process first


class AppliesThenHangs(MemoryConnector):
    """Applies each call at the target, then never answers."""

    def __init__(self, name: str):
        super().__init__(name)
        self.applied = threading.Semaphore(0)

    def grant(self, principal, target, *, action_id, dry_run=False):
        super().grant(principal, target, action_id=action_id, dry_run=dry_run)
        return self._hang()

    def revoke(self, principal, target, *, action_id, dry_run=False):
        super().revoke(principal, target, action_id=action_id, dry_run=dry_run)
        return self._hang()

    def _hang(self):
        self.applied.release()
        time.sleep(HANG_SECONDS)
        raise SystemExit("the test should have killed this replica")


def main(database_url: str, catalog_path: str, replica_id: str, now: str) -> None:
    store = Store(create_engine_for(database_url))
    clock = ManualClock(datetime.fromisoformat(now))
    mem = AppliesThenHangs("mem")
    catalog = load_catalog(catalog_path, connectors=["mem"], people=[p["email"] for p in PEOPLE],
                           groups=sorted({g for p in PEOPLE for g in p.get("groups", [])}))
    runner = ProvisioningRunner(store, ConnectorSet({"mem": mem}), clock, lambda: catalog, replica_id=replica_id,
                                threads=1)
    jobs = claim.claim_due(store, now=clock.now(), replica_id=replica_id)
    with store.uow() as s:
        events = outbox.claim(s, now=clock.now(), store=store, replica_id=replica_id)
    calls = runner.claim()
    for call in calls:
        threading.Thread(target=runner.run, args=(call,), daemon=True).start()
    for _ in calls:
        mem.applied.acquire()  # the target has it; the outcome is never recorded
    print(json.dumps({"due": [job.key for job in jobs], "events": [event.id for event in events],
                      "actions": [call.action_id for call in calls]}), flush=True)
    time.sleep(HANG_SECONDS)


if __name__ == "__main__":
    main(*sys.argv[1:5])
