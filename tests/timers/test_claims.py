"""Claims, leases, versions and failures: nothing runs twice, nothing is stranded or dropped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.enums import GrantStatus
from bot.ledger import due
from bot.store.models import DueAction
from bot.timers import claim, versions
from bot.timers.fire import MAX_ATTEMPTS, fire, fire_together
from tests.timers.support import audit_subjects, outbox, revokes_per_target, seed_active_grants


def _row(world, key) -> DueAction:
    with world.store.uow() as s:
        return s.scalar(select(DueAction).where(DueAction.key == key))


def _add_row(world, kind, ref, *, version=due.PAYLOAD_VERSION, payload=None) -> str:
    with world.store.uow() as s:
        row = due.schedule(s, kind, ref, world.clock.now(), now=world.clock.now(), payload=payload)
        row.payload_version = version
        return row.key


def _add_foreign_row(world, kind: str, ref) -> str:
    """A row of a kind this release does not know (written by a newer release, or by hand):
    ``due.schedule`` refuses to write one."""
    now = world.clock.now()
    with world.store.uow() as s:
        row = DueAction(kind=kind, key=f"{kind}:{ref}", ref_id=str(ref), due_at=now, status="scheduled",
                        payload={}, payload_version=due.PAYLOAD_VERSION, created_at=now)
        s.add(row)
        s.flush()
        return row.key


def test_a_claim_left_by_a_dead_replica_is_recovered_when_its_lease_runs_out(world, timers):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=2))
    world.advance(hours=2)
    claimed = claim.claim_due(world.store, now=world.clock.now(), replica_id="dead-replica")
    assert [j.kind for j in claimed] == [due.LedgerKind.GRANT_WARN, due.LedgerKind.GRANT_EXPIRE]  # ...and then the replica died
    assert timers.sweep_once() == 0, "a live lease is respected"
    assert world.holds("alice@acme.test", "erp-pay-create-0")
    world.clock.advance(claim.LEASE + timedelta(seconds=1))
    assert timers.sweep_once() == 2
    row = _row(world, due.key_of(due.LedgerKind.GRANT_EXPIRE, gid))
    assert (row.status, row.claimed_by, row.attempts) == ("done", "replica-a", 2)
    assert revokes_per_target(world) == {"erp-pay-create-0": 1}
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.EXPIRED


def test_a_replica_that_comes_back_after_losing_its_lease_changes_nothing(world, timers):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=2))
    world.advance(hours=2)
    stale = claim.claim_due(world.store, now=world.clock.now(), replica_id="paused-replica")
    world.clock.advance(claim.LEASE + timedelta(seconds=1))
    timers.sweep_once()
    assert [fire(timers.deps, job, replica_id="paused-replica", now=world.clock.now).outcome
            for job in stale] == ["lost", "lost"]
    timers.sweep_once()
    assert audit_subjects(world.store, "grant.ending") == {str(gid): 1}
    assert revokes_per_target(world) == {"erp-pay-create-0": 1}


def test_an_unknown_kind_is_marked_failed_and_reported_not_dropped(world, timers):
    key = _add_foreign_row(world, "grant.teleport", 7)
    assert timers.sweep_once() == 1
    row = _row(world, key)
    assert row.status == "failed" and "unknown kind 'grant.teleport'" in row.last_error
    [report] = outbox(world.store, "timer.failed")
    assert report["kind"] == "grant.teleport" and report["key"] == key and "unknown kind" in report["reason"]
    assert audit_subjects(world.store, "timer.failed") == {str(row.id): 1}
    assert timers.sweep_once() == 0, "reported once, not at every sweep"


def test_a_failing_handler_is_retried_with_backoff_then_reported(world, timers):
    key = _add_row(world, due.LedgerKind.GRANT_EXPIRE, 999_999)  # a grant that does not exist
    timers.sweep_once()
    for attempt in range(1, MAX_ATTEMPTS):
        row = _row(world, key)
        assert (row.status, row.attempts) == ("scheduled", attempt) and "does not exist" in row.last_error
        assert row.due_at > world.clock.now(), "retried later, not in a tight loop"
        world.clock.set(row.due_at)
        timers.sweep_once()
    row = _row(world, key)
    assert row.status == "failed" and f"after {MAX_ATTEMPTS} attempts" in row.last_error
    assert len(outbox(world.store, "timer.failed")) == 1


def test_a_row_written_by_an_older_release_still_runs_and_is_upgraded(world, timers):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=2))
    with world.store.uow() as s:
        s.execute(DueAction.__table__.update().where(DueAction.ref_id == str(gid)).values(payload_version=0))
    world.advance(hours=2)
    timers.sweep_once()
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.EXPIRED
    assert _row(world, due.key_of(due.LedgerKind.GRANT_EXPIRE, gid)).payload_version == due.PAYLOAD_VERSION


def test_a_row_written_by_a_newer_release_waits_for_a_replica_that_knows_it(world, timers):
    key = _add_row(world, due.LedgerKind.GRANT_EXPIRE, 1, version=due.PAYLOAD_VERSION + 1)
    assert timers.sweep_once() == 0
    assert _row(world, key).status == "scheduled"
    with world.store.uow() as s:
        assert claim.waiting_for_newer_release(s, world.clock.now()) == 1
        assert claim.next_due_at(s, now=world.clock.now(), replica_id="replica-a") is None, \
            "the alarm does not ring for rows this release leaves alone"


def test_upgraders_run_one_version_at_a_time():
    job = claim.DueJob(id=1, kind="grant.warn", key="grant.warn:1:3600", ref_id="1", due_at=None, attempts=1,
                       payload_version=due.PAYLOAD_VERSION - 1, payload={"before": 3600})
    upgraded = versions.upgrade(job, {("grant.warn", due.PAYLOAD_VERSION - 1): lambda p: {"before_seconds": p["before"]}})
    assert upgraded.payload == {"before_seconds": 3600} and upgraded.payload_version == due.PAYLOAD_VERSION
    assert versions.upgrade(upgraded) is upgraded


def test_rows_run_together_land_once_even_when_one_of_them_is_no_longer_ours(world, timers):
    ids = seed_active_grants(world, 3, lambda i: world.clock.now() + timedelta(minutes=5, seconds=i))
    world.advance(minutes=6)
    stale = claim.claim_due(world.store, now=world.clock.now(), replica_id="paused-replica")
    assert [j.kind for j in stale] == [due.LedgerKind.GRANT_EXPIRE] * 3
    world.clock.advance(claim.LEASE + timedelta(seconds=1))
    [taken_over] = claim.claim_due(world.store, now=world.clock.now(), replica_id="replica-b", limit=1)

    fired = fire_together(timers.deps, stale, replica_id="paused-replica", now=world.clock.now)
    assert [f.outcome for f in fired] == ["lost", "done", "done"], "the group fell back to one row at a time"
    assert fire(timers.deps, taken_over, replica_id="replica-b", now=world.clock.now).outcome == "done"
    timers.sweep_once()
    assert audit_subjects(world.store, "grant.ending") == {str(gid): 1 for gid in ids}
    assert revokes_per_target(world) == {f"erp-pay-create-{i}": 1 for i in range(3)}


def test_a_failing_row_in_a_group_does_not_hold_back_the_others(world, timers):
    ids = seed_active_grants(world, 3, lambda i: world.clock.now() + timedelta(minutes=5, seconds=i))
    broken = _add_row(world, due.LedgerKind.GRANT_EXPIRE, 999_999)  # a grant that does not exist
    world.advance(minutes=6)
    assert timers.sweep_once() == 4
    assert audit_subjects(world.store, "grant.expired") == {str(gid): 1 for gid in ids}
    row = _row(world, broken)
    assert (row.status, row.attempts) == ("scheduled", 1) and "does not exist" in row.last_error
