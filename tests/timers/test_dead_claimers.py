"""A worker killed (SIGKILL) in the middle of its work: what it had claimed (due rows, provisioning
actions, outbox events) is taken over within seconds, not when its 5-minute leases run out, and the
access it was granting counts from its first attempt. A real process, killed for real, on both
databases. The injected clock never moves past the leases, so only the claimer's death can explain
a takeover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionStatus, GrantStatus
from bot.ledger import grants as ledger
from bot.slack import outbox
from bot.store.models import DueAction, Grant, OutboxEvent, ProvisioningAction
from bot.timers.service import TimerService
from tests.support.waiting import wait_until
from tests.support.world import write_catalog
from tests.timers.support import database_url, make_deps, seed_active_grants

REPO = Path(__file__).resolve().parents[2]
TAKEOVER_SECONDS = 15.0  # the old lease was 300 s; the takeover polls every 2 s
START_TIMEOUT = 120.0  # a loaded machine imports slowly


def _seed(world) -> dict:
    """An expiry due now, a grant call queued and an event to tell Slack: one of each claimed kind."""
    [expiring] = seed_active_grants(world, 1, world.clock.now())
    ctx = world.ctx()
    with world.store.uow() as s:
        person = directory.require(s, "bob@acme.test")
        provisioning = ledger.create(s, ctx, person=person,
                                     entitlement=world.catalog.entitlement("erp:payments-create"),
                                     duration=timedelta(hours=1), starts_at=None, request=None, granted_by="test")
        event = OutboxEvent(type="test.event", payload={"grant_id": provisioning.id}, created_at=ctx.now)
        s.add(event)
        s.flush()
        return {"expiring": expiring, "provisioning": provisioning.id, "event": event.id}


def _spawn_doomed(world, tmp_path: Path, replica_id: str) -> tuple[subprocess.Popen, dict]:
    held = tmp_path / f"{replica_id}.json"
    with held.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "tests.support.doomed_replica", database_url(world.store),
                                    str(write_catalog(tmp_path)), replica_id, world.clock.now().isoformat()],
                                   cwd=REPO, stdout=out, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert wait_until(lambda: held.read_text().strip() or process.poll() is not None, timeout=START_TIMEOUT)
    assert process.poll() is None, "the doomed replica died before it claimed anything"
    return process, json.loads(held.read_text())


def _kill(process: subprocess.Popen) -> float:
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    return time.monotonic()


def _statuses(world, seeded) -> tuple:
    with world.store.uow() as s:
        expire = s.scalar(select(DueAction.status).where(DueAction.key == f"grant.expire:{seeded['expiring']}"))
        grants = {g.id: g.status for g in s.scalars(select(Grant))}
        return expire, grants[seeded["expiring"]], grants[seeded["provisioning"]]


def test_a_killed_workers_claims_are_taken_over_within_seconds(world, tmp_path):
    seeded = _seed(world)
    process, held = _spawn_doomed(world, tmp_path, "doomed-worker")
    try:
        assert f"grant.expire:{seeded['expiring']}" in held["due"]
        assert held["events"] == [seeded["event"]] and len(held["actions"]) == 1
        deps = make_deps(world, "survivor", own_store=True)
        timers = TimerService(deps)
        assert timers.sweep_once() == 0, "a live replica's claims are left alone"
        with deps.store.uow() as s:
            assert outbox.claim(s, now=world.clock.now(), store=deps.store, replica_id="survivor") == []
        assert deps.runner.claim() == []
        killed_at = _kill(process)
        timers.start()  # the real alarm, not a test-driven sweep
        try:
            done = wait_until(lambda: _statuses(world, seeded) == ("done", GrantStatus.EXPIRED, GrantStatus.ACTIVE),
                              timeout=TAKEOVER_SECONDS * 4)
            took = time.monotonic() - killed_at
            with deps.store.uow() as s:
                taken = outbox.claim(s, now=world.clock.now(), store=deps.store, replica_id="survivor")
        finally:
            timers.stop()
            deps.executor.shutdown(wait=True)
            deps.store.dispose()
    finally:
        if process.poll() is None:
            _kill(process)
    assert done, f"not taken over: {_statuses(world, seeded)}"
    assert took < TAKEOVER_SECONDS, f"the takeover took {took:.1f} s"
    assert seeded["event"] in [event.id for event in taken]  # beside the events the takeover itself wrote
    with world.store.uow() as s:
        action = s.get(ProvisioningAction, held["actions"][0])
        assert (action.status, action.claimed_by, action.attempts) == (ActionStatus.SUCCEEDED, "survivor", 2)


def test_a_worker_restarted_under_its_replica_id_takes_back_its_own_claims_at_once(world, tmp_path):
    seeded = _seed(world)
    process, held = _spawn_doomed(world, tmp_path, "worker-1")
    _kill(process)
    deps = make_deps(world, "worker-1", own_store=True)  # the same configured ACCESSBOT_REPLICA_ID
    try:
        assert TimerService(deps).sweep_once() == len(held["due"])
        with deps.store.uow() as s:
            assert seeded["event"] in [e.id for e in outbox.claim(s, now=world.clock.now(), store=deps.store,
                                                                  replica_id="worker-1")]
    finally:
        deps.executor.shutdown(wait=True)
        deps.store.dispose()
    assert _statuses(world, seeded) == ("done", GrantStatus.EXPIRED, GrantStatus.ACTIVE)


def test_the_access_a_killed_worker_was_granting_counts_from_its_first_attempt(world, tmp_path):
    """Killed between the connector call and its record, with the takeover four minutes later: the
    grant still ends one hour after the call that gave the access, not one hour after the record."""
    seeded = _seed(world)
    called_at = world.clock.now()
    process, _held = _spawn_doomed(world, tmp_path, "doomed-granter")
    _kill(process)
    world.clock.advance(timedelta(minutes=4))  # still inside the dead replica's lease
    deps = make_deps(world, "survivor", own_store=True)
    try:
        assert deps.runner.run_due() >= 1
    finally:
        deps.executor.shutdown(wait=True)
        deps.store.dispose()
    with world.store.uow() as s:
        grant = s.get(Grant, seeded["provisioning"])
        assert grant.status == GrantStatus.ACTIVE
        assert grant.activated_at == called_at + timedelta(minutes=4)
        assert grant.ends_at == called_at + timedelta(hours=1)
        expiry = s.scalar(select(DueAction.due_at).where(DueAction.key == f"grant.expire:{grant.id}"))
        assert expiry == called_at + timedelta(hours=1)


def test_a_second_live_process_under_the_same_replica_id_still_works_on_leases(world, tmp_path):
    """A CLI command run beside the worker with the same ACCESSBOT_REPLICA_ID: not refused, and
    it does not take the live worker's claims."""
    seeded = _seed(world)
    process, held = _spawn_doomed(world, tmp_path, "worker-1")
    deps = make_deps(world, "worker-1", own_store=True)
    try:
        assert TimerService(deps).sweep_once() == 0, "the live process's claims are left alone"
        assert deps.runner.claim() == []
        world.clock.advance(timedelta(minutes=6))  # past the leases: the old rule still takes them over
        assert TimerService(deps).sweep_once() == len(held["due"])
    finally:
        _kill(process)
        deps.executor.shutdown(wait=True)
        deps.store.dispose()
    assert _statuses(world, seeded) == ("done", GrantStatus.EXPIRED, GrantStatus.ACTIVE)
