"""What each kind of due action does when the timers run it: timeouts, future starts, expiry
warnings with Extend, extensions, scheduled offboarding, manual-task reposts and polling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionStatus, GrantStatus, PersonStatus, RequestStatus
from bot.domain.errors import InvalidDuration
from bot.ledger import due, outcomes
from bot.ledger.manual_tasks import complete_task
from bot.offboarding.timers import OffboardingKind
from bot.requests.extend import extend
from bot.store.models import DueAction, ProvisioningAction
from connectors.base import ActionResult, Capabilities, Outcome
from connectors.memory import MemoryConnector
from tests.timers.support import outbox, seed_active_grants


def _approved_grant(world, timers, ref="erp:payments-create", **kw):
    rid = world.submit("alice@acme.test", ref, **kw)
    if world.request(rid).status == RequestStatus.PENDING:
        world.decide("dana@acme.test", rid)
    timers.sweep_once()
    return world.grants_of("alice@acme.test")[-1]


def test_an_undecided_request_times_out_and_the_requester_is_told(world, timers):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    timeout = world.catalog.entitlement("erp:payments-create").request_timeout
    world.clock.advance(timeout - timedelta(minutes=1))
    timers.sweep_once()
    assert world.request(rid).status == RequestStatus.PENDING
    world.advance(minutes=1)
    timers.sweep_once()
    assert world.request(rid).status == RequestStatus.TIMED_OUT
    [told] = outbox(world.store, "request.timed_out")
    assert told["request_id"] == rid and told["reason"] == "nobody decided in time"
    with world.store.uow() as s:
        assert due.pending(s, due.LedgerKind.REQUEST_REMIND, rid) == [], "no reminders for a closed request"


def test_a_request_decided_in_time_does_not_time_out(world, timers):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    world.decide("dana@acme.test", rid)
    world.advance(days=30)
    timers.sweep_once()
    assert world.request(rid).status == RequestStatus.APPROVED
    assert outbox(world.store, "request.timed_out") == []


def test_a_grant_with_a_future_start_is_provisioned_at_its_start_time(world, timers):
    starts_at = world.clock.now() + timedelta(days=1)
    rid = world.submit("alice@acme.test", "erp:payments-create", starts_at=starts_at, duration=timedelta(hours=4))
    world.decide("dana@acme.test", rid)
    timers.sweep_once()
    [grant] = world.grants_of("alice@acme.test")
    assert grant.status == GrantStatus.SCHEDULED and not world.holds("alice@acme.test", "erp-pay-create")
    world.clock.set(starts_at - timedelta(seconds=1))
    timers.sweep_once()
    assert not world.holds("alice@acme.test", "erp-pay-create")
    world.clock.set(starts_at)
    timers.sweep_once()
    [grant] = world.grants_of("alice@acme.test")
    assert grant.status == GrantStatus.ACTIVE and world.holds("alice@acme.test", "erp-pay-create")
    assert grant.ends_at == starts_at + timedelta(hours=4)
    world.clock.set(grant.ends_at)
    timers.sweep_once()
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.EXPIRED


def test_the_expiry_warning_offers_extend_and_an_extension_within_the_limit_applies_at_once(world, timers):
    grant = _approved_grant(world, timers, duration=timedelta(hours=4))
    world.clock.set(grant.ends_at - timedelta(hours=1))
    timers.sweep_once()
    [warning] = outbox(world.store, "grant.expiring")
    assert warning["grant_id"] == grant.id and warning["minutes_left"] == 60 and warning["can_extend"]
    assert warning["extend_without_approval_seconds"] == 4 * 3600  # the 4h auto-approve limit
    assert warning["extend_most_seconds"] == 23 * 3600  # the 1-day maximum, counted from now
    with world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        assert extend(s, world.ctx("alice@acme.test"), grant_id=grant.id, by=alice, extra=timedelta(hours=2)).applied
    world.clock.set(grant.ends_at)
    timers.sweep_once()
    assert world.holds("alice@acme.test", "erp-pay-create"), "the old end no longer applies"
    new_end = grant.ends_at + timedelta(hours=2)
    world.clock.set(new_end - timedelta(hours=1))
    timers.sweep_once()
    assert [w["ends_at"] for w in outbox(world.store, "grant.expiring")][-1] == str(new_end)
    world.clock.set(new_end)
    timers.sweep_once()
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.EXPIRED
    assert not world.holds("alice@acme.test", "erp-pay-create")


def test_an_extension_beyond_the_limit_is_a_request_that_adds_to_the_end_when_approved(world, timers):
    grant = _approved_grant(world, timers, duration=timedelta(hours=4))
    world.advance(hours=3)
    with world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        result = extend(s, world.ctx("alice@acme.test"), grant_id=grant.id, by=alice, extra=timedelta(hours=5))
        rid = result.request.id
    assert not result.applied and world.request(rid).status == RequestStatus.PENDING
    world.advance(minutes=30)  # the manager answers half an hour later
    world.decide("dana@acme.test", rid)
    [extended] = world.grants_of("alice@acme.test")
    assert extended.id == grant.id and extended.ends_at == grant.ends_at + timedelta(hours=5)
    world.clock.set(grant.ends_at)
    timers.sweep_once()
    assert world.holds("alice@acme.test", "erp-pay-create")


def test_an_extension_past_the_maximum_is_refused_with_what_would_fit(world, timers):
    grant = _approved_grant(world, timers, duration=timedelta(hours=4))
    world.advance(hours=1)  # 3 hours left; the maximum is 1 day from now
    with world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        with pytest.raises(InvalidDuration, match="at most 21 hours more"):
            extend(s, world.ctx("alice@acme.test"), grant_id=grant.id, by=alice, extra=timedelta(hours=22))
    assert world.grants_of("alice@acme.test")[0].ends_at == grant.ends_at


def test_a_scheduled_offboarding_runs_at_its_time(world, timers):
    grant = _approved_grant(world, timers, duration=timedelta(hours=8))
    with world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        due.schedule(s, OffboardingKind.OFFBOARD, alice.id, world.clock.now() + timedelta(hours=1), now=world.clock.now(),
                     payload={"reason": "last day"})
    world.advance(hours=1)
    timers.sweep_once()
    with world.store.uow() as s:
        assert directory.require(s, "alice@acme.test").status == PersonStatus.LEAVER
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.REVOKED
    assert not world.holds("alice@acme.test", "erp-pay-create") and grant.id


def test_an_open_manual_task_is_reposted_and_escalated_once(world, timers):
    world.mem.options.update(repost_after_seconds=4 * 3600, escalate_after_seconds=8 * 3600)
    rid = world.submit("alice@acme.test", "github:member")  # approved on submission
    with world.store.uow() as s:
        action = s.scalar(select(ProvisioningAction))
        outcomes.pending(s, world.ctx(), action, target_ref=None, detail="add alice by hand", manual_channel="C0IT",
                         repost_after=timedelta(hours=4))
    for _ in range(3):
        world.advance(hours=4)
        timers.sweep_once()
    assert [r["reposts"] for r in outbox(world.store, "manual_task.reposted")] == [1, 2, 3]
    [escalated] = outbox(world.store, "manual_task.escalated")
    assert escalated["open_seconds"] == 8 * 3600 and escalated["it_channel"] == "C0ITOPS"
    with world.store.uow() as s:
        task_id = s.scalar(select(DueAction.ref_id).where(DueAction.kind == due.LedgerKind.TASK_REPOST))
        complete_task(s, world.ctx("ivan@acme.test"), task_id=int(task_id),
                      by=directory.require(s, "ivan@acme.test"), done=True)
    world.advance(hours=4)
    timers.sweep_once()
    assert len(outbox(world.store, "manual_task.reposted")) == 3, "a closed task is not reposted"
    with world.store.uow() as s:
        assert s.scalar(select(DueAction.status).where(DueAction.kind == due.LedgerKind.TASK_REPOST)) == "cancelled"
    assert world.request(rid).status == RequestStatus.APPROVED


class SlowTarget(MemoryConnector):
    """Accepts grants asynchronously and confirms on the second poll (like AWS IAM Identity Center)."""

    capabilities = Capabilities(async_grants=True)

    def __init__(self, name):
        super().__init__(name)
        self.polls = 0

    def grant(self, principal, target, *, action_id, dry_run=False):
        return ActionResult(Outcome.PENDING, target_ref=f"req-{action_id[:8]}")

    def poll(self, principal, target, pending):
        self.polls += 1
        if self.polls < 2:
            return ActionResult(Outcome.PENDING, target_ref=pending.target_ref)
        return super().grant(principal, target, action_id=pending.target_ref)


def test_a_pending_grant_is_polled_by_the_timers_until_the_target_confirms(world, store, clock):
    from bot.timers.service import TimerService
    from tests.timers.support import make_deps

    world.connectors.add(SlowTarget("mem"))
    deps = make_deps(world, "replica-a")
    timers = TimerService(deps)
    try:
        world.submit("alice@acme.test", "github:member")
        timers.sweep_once()
        assert world.actions()[0].status == ActionStatus.PENDING_EXTERNAL
        for _ in range(2):
            world.advance(seconds=30)
            timers.sweep_once()
    finally:
        deps.executor.shutdown(wait=True)
    assert world.mem.polls == 2
    assert world.grants_of("alice@acme.test")[0].status == GrantStatus.ACTIVE
    assert world.holds("alice@acme.test", "gh-members")
    with world.store.uow() as s:
        assert s.scalar(select(DueAction.status).where(DueAction.kind == due.LedgerKind.ACTION_POLL)) == "done"


def test_seeded_grants_helper_schedules_what_the_ledger_schedules(world):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=4))
    with world.store.uow() as s:
        kinds = sorted(s.scalars(select(DueAction.kind).where(DueAction.ref_id == str(gid))))
    assert kinds == [due.LedgerKind.GRANT_EXPIRE, due.LedgerKind.GRANT_WARN]
