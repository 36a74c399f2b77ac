"""A revocation that fails is retried on time by the timers, IT is alerted once, and the grant is
never reported expired before the target confirms."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.enums import ActionKind, ActionStatus, GrantStatus
from bot.store.models import Grant, ProvisioningAction
from bot.timers import claim
from connectors.errors import TransientError
from tests.timers.support import outbox, seed_active_grants


def _revoke_action(world, grant_id) -> ProvisioningAction:
    with world.store.uow() as s:
        return s.query(ProvisioningAction).filter_by(grant_id=grant_id, action=ActionKind.REVOKE).one()


def _grant(world, grant_id) -> Grant:
    with world.store.uow() as s:
        return s.get(Grant, grant_id)


def test_a_target_failing_three_times_is_retried_until_the_grant_is_revoked(world, timers):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=1))
    world.mem.fail_next(*[TransientError("target down") for _ in range(3)])
    world.advance(hours=1)
    assert timers.sweep_once() == 2  # the 10-minute warning (too late now: not sent) and the expiry
    assert outbox(world.store, "grant.expiring") == []
    for attempt in (1, 2, 3):
        action = _revoke_action(world, gid)
        assert (action.status, action.attempts) == (ActionStatus.FAILED_RETRYABLE, attempt)
        assert _grant(world, gid).status in (GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED)
        with world.store.uow() as s:
            next_due = claim.next_due_at(s, now=world.clock.now(), replica_id="replica-a")
            assert next_due == action.next_attempt_at, "the alarm is set for the retry"
        world.clock.set(action.next_attempt_at - timedelta(seconds=1))
        timers.sweep_once()
        assert _revoke_action(world, gid).attempts == attempt, "no retry before its time"
        world.clock.set(action.next_attempt_at)
        timers.sweep_once()
    assert _grant(world, gid).status == GrantStatus.EXPIRED
    assert _revoke_action(world, gid).status == ActionStatus.SUCCEEDED
    assert not world.holds("alice@acme.test", "erp-pay-create-0")
    alerts = outbox(world.store, "grant.revoke_failed")
    assert len(alerts) == 1 and alerts[0]["grant_id"] == gid and alerts[0]["retrying"] is True
    assert outbox(world.store, "grant.expired")[0]["grant_id"] == gid


def test_while_the_revocation_keeps_failing_the_grant_shows_revoke_failed_not_expired(world, timers):
    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(hours=1))
    world.mem.fail_next(*[TransientError("target down") for _ in range(10)])
    world.advance(hours=1)
    timers.sweep_once()
    for _ in range(4):
        world.clock.set(_revoke_action(world, gid).next_attempt_at)
        timers.sweep_once()
    grant = _grant(world, gid)
    assert grant.status == GrantStatus.REVOKE_FAILED and "target down" in grant.last_error
    assert world.holds("alice@acme.test", "erp-pay-create-0")
    assert outbox(world.store, "grant.expired") == []
    assert len(outbox(world.store, "grant.revoke_failed")) == 1, "IT is told once, not at every attempt"
