"""An expiry's revoke goes to this replica's runner the moment the expiry commits (issue 17.8): the
group's own transaction claims the revoke for this replica, so it is durable (expiry, revoke row
and claim in one commit) before the connector is called, no later claim has to find it, no other
replica is woken for it, and it still runs exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.enums import ActionKind, ActionStatus, GrantStatus
from bot.store.models import DueAction, Grant, ProvisioningAction
from bot.timers import claim, service
from bot.timers.fire import fire_together
from bot.timers.service import FIRE_GROUP, TimerService
from tests.timers.support import make_deps, revokes_per_target, seed_active_grants
from tests.timers.test_replicas import _sweep_together


def _revokes(store) -> list[ProvisioningAction]:
    with store.uow() as s:
        return list(s.scalars(select(ProvisioningAction).where(ProvisioningAction.action == ActionKind.REVOKE)))


def test_a_group_hands_its_revokes_over_claimed_and_committed_before_any_connector_call(world, timers):
    ends = world.clock.now() + timedelta(minutes=5)
    ids = seed_active_grants(world, 3, ends)
    world.advance(minutes=6)
    jobs = claim.claim_due(world.store, now=world.clock.now(), replica_id="replica-a")
    seen = []

    def hand_over(calls, waiting: bool) -> None:  # right after the commit: read what another session sees
        with world.store.uow() as s:
            grants = {g.status for g in s.scalars(select(Grant).where(Grant.id.in_(ids)))}
            rows = s.scalars(select(ProvisioningAction).where(ProvisioningAction.action == ActionKind.REVOKE)).all()
            seen.append(([c.action_id for c in calls], waiting, grants,
                         {(r.id, r.status, r.claimed_by, r.attempts) for r in rows},
                         [kind for kind, _, _ in world.mem.calls if kind == "revoke"]))

    fired = fire_together(timers.deps, jobs, replica_id="replica-a", now=world.clock.now, hand_over=hand_over)
    assert [f.outcome for f in fired] == ["done"] * 3
    assert len(seen) == 1, "one hand-over for the group's one transaction"
    handed, waiting, grants, rows, revoked = seen[0]
    assert not waiting and grants == {GrantStatus.REVOKING}
    assert rows == {(action_id, ActionStatus.IN_PROGRESS, "replica-a", 1) for action_id in handed}
    assert len(handed) == 3 and revoked == [], "claimed and committed, and no connector called yet"

    assert timers.deps.runner.claim(only=handed) == [] and timers.deps.runner.claim() == [], \
        "ours already: no other claim takes them"


def test_without_a_hand_over_the_revokes_stay_queued_for_the_runner(world, timers):
    seed_active_grants(world, 2, world.clock.now() + timedelta(minutes=5))
    world.advance(minutes=6)
    jobs = claim.claim_due(world.store, now=world.clock.now(), replica_id="replica-a")
    fired = fire_together(timers.deps, jobs, replica_id="replica-a", now=world.clock.now)
    assert all(f.kick for f in fired)
    assert {(r.status, r.claimed_by) for r in _revokes(world.store)} == {(ActionStatus.QUEUED, None)}


def test_a_sweep_runs_the_first_groups_revokes_before_the_next_group_fires(world, timers, monkeypatch):
    seed_active_grants(world, 2 * FIRE_GROUP, world.clock.now() + timedelta(minutes=5))
    world.advance(minutes=6)
    handed = threading.Event()
    groups, waited = [], []
    submit_claimed, runner_claim = timers.deps.runner.submit_claimed, timers.deps.runner.claim
    claims_before_hand_over = []

    def spy_claim(*args, **kwargs):
        if not handed.is_set():
            claims_before_hand_over.append(args)
        return runner_claim(*args, **kwargs)

    def spy_submit_claimed(calls):
        handed.set()
        return submit_claimed(calls)

    def gated_fire_together(deps, jobs, **kwargs):
        if groups:  # the second group waits (bounded) until the first group's revokes are running
            waited.append(handed.wait(timeout=30))
        groups.append(len(jobs))
        return fire_together(deps, jobs, **kwargs)

    monkeypatch.setattr(timers.deps.runner, "submit_claimed", spy_submit_claimed)
    monkeypatch.setattr(timers.deps.runner, "claim", spy_claim)
    monkeypatch.setattr(service, "fire_together", gated_fire_together)
    assert timers.sweep_once() == 2 * FIRE_GROUP

    assert groups == [FIRE_GROUP, FIRE_GROUP]
    assert waited == [True], "the first group's revokes reached the runner before the second group fired"
    assert claims_before_hand_over == [], "handed over by the group's transaction, not found by a later claim"
    revokes = revokes_per_target(world)
    assert len(revokes) == 2 * FIRE_GROUP and set(revokes.values()) == {1}


@pytest.mark.parametrize("db_backend", ["postgres"])
def test_several_claimers_each_run_the_revokes_of_the_expiries_they_fired_exactly_once(world):
    ends_at = world.clock.now() + timedelta(hours=3)
    ids = seed_active_grants(world, 300, ends_at)
    replicas = [make_deps(world, name, own_store=True) for name in ("replica-a", "replica-b", "replica-c")]
    services = [TimerService(d, batch=50) for d in replicas]
    try:
        world.clock.set(ends_at)
        ran = _sweep_together(services)
        assert sum(ran) >= len(ids) and min(ran) > 0, f"every replica took part: {ran}"
    finally:
        for timer, d in zip(services, replicas, strict=True):
            timer.stop()
            d.executor.shutdown(wait=True)
            d.store.dispose()
    revokes = revokes_per_target(world)
    assert len(revokes) == len(ids) and set(revokes.values()) == {1}, "each grant revoked exactly once"
    with world.store.uow() as s:
        fired_by = dict(s.execute(select(DueAction.ref_id, DueAction.claimed_by)
                                  .where(DueAction.kind == "grant.expire")).all())
        run_by = s.execute(select(ProvisioningAction.grant_id, ProvisioningAction.claimed_by,
                                  ProvisioningAction.attempts, ProvisioningAction.status)
                           .where(ProvisioningAction.action == ActionKind.REVOKE)).all()
    assert len(run_by) == len(ids)
    assert {(fired_by[str(gid)] == by, attempts, status) for gid, by, attempts, status in run_by} == {
        (True, 1, ActionStatus.SUCCEEDED)}, "each revoke ran once, by the replica that fired its expiry"


def test_handed_calls_start_while_earlier_outcomes_are_still_being_recorded(world, timers, monkeypatch):
    """Call threads only call: a second hand-over's revoke reaches the connector while the one
    recorder is still writing the first one's outcome, and both outcomes are then recorded once."""
    ids = seed_active_grants(world, 2, world.clock.now() + timedelta(minutes=5))
    world.advance(minutes=6)
    jobs = claim.claim_due(world.store, now=world.clock.now(), replica_id=timers.deps.runner.replica_id)
    handed = []
    fire_together(timers.deps, jobs, replica_id=timers.deps.runner.replica_id, now=world.clock.now,
                  hand_over=lambda calls, waiting: handed.extend(calls))
    assert len(handed) == 2
    runner = timers.deps.runner
    recording, release = threading.Event(), threading.Event()
    record = runner._record

    def slow_record(attempts):
        recording.set()
        assert release.wait(timeout=30)
        return record(attempts)

    monkeypatch.setattr(runner, "_record", slow_record)
    first = runner.submit_claimed(handed[:1])
    assert recording.wait(timeout=30), "the first outcome is being recorded"
    second = runner.submit_claimed(handed[1:])
    for _ in range(300):  # bounded: the second call needs no recorder to start
        if sum(1 for kind, *_ in world.mem.calls if kind == "revoke") == 2:
            break
        threading.Event().wait(0.1)
    revoked_while_recording = sum(1 for kind, *_ in world.mem.calls if kind == "revoke")
    assert not first.done() and not second.done(), "neither counts as done before its outcome is recorded"
    release.set()
    first.result(timeout=30)
    second.result(timeout=30)

    assert revoked_while_recording == 2, "the second revoke was called while the first outcome was written"
    with world.store.uow() as s:
        assert {g.status for g in s.scalars(select(Grant).where(Grant.id.in_(ids)))} == {GrantStatus.EXPIRED}
    assert {r.status for r in _revokes(world.store)} == {ActionStatus.SUCCEEDED}
    assert set(revokes_per_target(world).values()) == {1}
