"""Timers survive a restart: what fell due while no process ran is done once at start-up."""

from __future__ import annotations

from datetime import timedelta

from bot.audit.verify import verify
from bot.domain.enums import GrantStatus
from bot.timers.service import TimerService
from tests.support.waiting import wait_until
from tests.timers.support import (
    audit_subjects,
    count_grants,
    make_deps,
    revokes_per_target,
    seed_active_grants,
)


def test_expiries_that_fell_due_while_stopped_run_once_after_a_restart(world):
    ids = seed_active_grants(world, 200, lambda i: world.clock.now() + timedelta(hours=1, seconds=i))
    first_deps = make_deps(world, "replica-before")
    first = TimerService(first_deps)
    first.start()
    assert first.wait_for_sweeps(1, timeout=10)  # the start-up catch-up ran and found nothing due
    first.stop()
    first_deps.executor.shutdown(wait=True)
    assert revokes_per_target(world) == {}
    assert count_grants(world.store, GrantStatus.ACTIVE) == 200

    world.advance(hours=2)  # the bot was down while all 200 fell due
    restarted_deps = make_deps(world, "replica-after", own_store=True)
    restarted = TimerService(restarted_deps)
    restarted.start()
    try:
        assert wait_until(lambda: count_grants(world.store, GrantStatus.EXPIRED) == 200, timeout=60)
    finally:
        restarted.stop()
        restarted_deps.executor.shutdown(wait=True)
        restarted_deps.store.dispose()

    revokes = revokes_per_target(world)
    assert len(revokes) == 200 and set(revokes.values()) == {1}, "every grant revoked exactly once"
    assert all(not world.holds("alice@acme.test", f"erp-pay-create-{i}") for i in range(200))
    expired = audit_subjects(world.store, "grant.expired")
    assert expired == {str(gid): 1 for gid in ids}
    with world.store.uow() as s:
        assert verify(s).ok


def test_start_arms_the_alarm_at_the_earliest_due_time(world, deps):
    seed_active_grants(world, 3, lambda i: world.clock.now() + timedelta(minutes=10 * (i + 1)))
    service = TimerService(deps)
    service.start()
    try:
        assert service.wait_for_sweeps(1, timeout=10)
        assert wait_until(lambda: service.next_alarm() is not None and
                          service.next_alarm() - _real_now() > timedelta(seconds=5), timeout=10)
        # The first expiry is in 10 minutes (the injected clock): the alarm rings then, not sooner.
        assert abs((service.next_alarm() - _real_now()) - timedelta(minutes=10)) < timedelta(seconds=5)
    finally:
        service.stop()


def _real_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_an_overdue_retry_that_cannot_run_yet_does_not_make_the_alarm_spin(world, deps):
    from bot.domain.enums import ActionKind, ActionStatus
    from bot.ledger import queue
    from bot.store.models import Grant

    [gid] = seed_active_grants(world, 1, world.clock.now() + timedelta(days=1))
    with world.store.uow() as s:  # a revocation retry stuck behind a grant call the target still works on
        grant = s.get(Grant, gid)
        queue.enqueue_for_grant(s, world.ctx(), grant, ActionKind.GRANT, status=ActionStatus.PENDING_EXTERNAL)
        retry = queue.enqueue_for_grant(s, world.ctx(), grant, ActionKind.REVOKE)
        retry.status, retry.created_at = ActionStatus.FAILED_RETRYABLE, world.clock.now() + timedelta(seconds=1)
    service = TimerService(deps)
    service.start()
    try:
        assert service.wait_for_sweeps(1, timeout=10)
        before = service.sweeps_completed
        assert not service.wait_for_sweeps(before + 8, timeout=1.5), "the alarm backs off instead of spinning"
    finally:
        service.stop()
    assert service.sweeps_completed - before >= 1, "but it keeps looking"
