"""Break glass as an operation: at once, within eligibility and SoD, budgeted race-free, audited distinctly."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.breakglass.errors import BreakGlassNotAllowed, BreakGlassNotEligible, BudgetExhausted, ReviewOverdue
from bot.breakglass.review import review
from bot.breakglass.use import break_glass, outlook
from bot.directory import service as directory
from bot.domain.enums import GrantStatus, RequestStatus
from bot.domain.errors import AlreadyDecided, InvalidDuration, NotAuthorized, SelfApproval, SeparationOfDuties
from bot.store.models import AuditEvent, BreakGlassUse, DueAction
from bot.timers.service import TimerService
from tests.support.deps import close, deps_for

REASON = "prod outage INC-7, need to roll back the release"


def use(world, email: str, ref: str = "github:admin", duration=None, reason: str = REASON, ticket: str = ""):
    with world.store.uow() as s:
        person = directory.require(s, email)
        return break_glass(s, world.ctx(email), person=person, entitlement=ref, duration=duration, reason=reason,
                           ticket=ticket).use.id


def audit(world, action: str) -> list[AuditEvent]:
    with world.store.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def run_timers(world) -> None:
    """Provision what is queued, then run the due actions (expiries, review deadlines) and their revokes."""
    world.run()
    deps = deps_for(world)
    try:
        TimerService(deps).sweep_once()
        world.run()
    finally:
        close(deps)


def test_break_glass_grants_at_once_and_the_audit_says_what_was_bypassed(bg_world):
    use_id = use(bg_world, "alice@acme.test")
    request = bg_world.request(bg_world.grants_of("alice@acme.test")[0].request_id)
    assert request.status == RequestStatus.APPROVED and request.auto_approved and request.policy_rule == "break-glass"
    assert request.duration_seconds == 2 * 3600  # the policy's maximum when none is asked for
    bg_world.run()
    assert bg_world.holds("alice@acme.test", "gh-admins")
    assert bg_world.grants_of("alice@acme.test")[0].status == GrantStatus.ACTIVE
    [event] = audit(bg_world, "break_glass.used")
    with bg_world.store.uow() as s:
        dana, olga = directory.require(s, "dana@acme.test"), directory.require(s, "olga@acme.test")
        row = s.get(BreakGlassUse, use_id)
        assert row.reviewer_ids == [dana.id] and set(row.notified_ids) == {dana.id, olga.id}
        assert row.review_due_at == bg_world.clock.now() + timedelta(hours=2, days=1)
        assert s.scalar(select(DueAction).where(DueAction.key == f"break_glass.review_due:{use_id}")) is not None
    assert event.detail["policy_bypassed"] is True and event.detail["reason"] == REASON
    assert set(event.detail["approvers_skipped"]) == {dana.id, olga.id}


def test_only_where_the_policy_allows_it_and_only_for_whom(bg_world):
    with pytest.raises(BreakGlassNotAllowed):
        use(bg_world, "alice@acme.test", "wiki:editor")
    with pytest.raises(BreakGlassNotEligible):
        use(bg_world, "bob@acme.test")  # Sales: the who: rule says no
    assert bg_world.grants_of("bob@acme.test") == [] and bg_world.grants_of("alice@acme.test") == []


def test_break_glass_cannot_exceed_separation_of_duties(bg_world):
    first = bg_world.submit("alice@acme.test", "erp:payments-create")
    bg_world.decide("dana@acme.test", first)
    with pytest.raises(SeparationOfDuties):
        use(bg_world, "alice@acme.test", "erp:payments-approve")


def test_duration_and_reason_are_checked(bg_world):
    with pytest.raises(InvalidDuration):
        use(bg_world, "alice@acme.test", duration=timedelta(hours=3))
    with pytest.raises(Exception, match="emergency"):
        use(bg_world, "alice@acme.test", reason="x")


def test_the_budget_counts_uses_in_its_period(bg_world):
    use(bg_world, "alice@acme.test")
    bg_world.run()
    with bg_world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        assert outlook(s, bg_world.ctx(), person=alice, entitlement="erp:payments-approve").uses_left == 5
    with pytest.raises(BudgetExhausted, match="budget is 1"):
        use(bg_world, "alice@acme.test")
    with bg_world.store.uow() as s:
        dana = directory.require(s, "dana@acme.test")
        review(s, bg_world.ctx("dana@acme.test"), use_id=1, reviewer=dana, verdict="justified",
               reason="real outage", version=1)
    bg_world.advance(days=7, minutes=1)
    run_timers(bg_world)
    use(bg_world, "alice@acme.test")


def test_two_simultaneous_uses_cannot_both_pass_a_budget_of_one(bg_world):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt():
        barrier.wait()
        try:
            use(bg_world, "alice@acme.test")
            outcomes.append("granted")
        except BudgetExhausted:
            outcomes.append("budget")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["budget", "granted"]
    with bg_world.store.uow() as s:
        assert len(s.scalars(select(BreakGlassUse)).all()) == 1


def test_an_overdue_unreviewed_use_blocks_the_next_until_it_is_reviewed(bg_world):
    use(bg_world, "alice@acme.test", "erp:payments-approve")
    bg_world.run()
    bg_world.advance(hours=2, days=2, minutes=1)  # the built-in review window: 2 days after the end
    run_timers(bg_world)  # the grant expires; the overdue review is announced
    assert bg_world.grants_of("alice@acme.test")[0].status == GrantStatus.EXPIRED
    assert len(audit(bg_world, "break_glass.review_overdue")) == 1
    with pytest.raises(ReviewOverdue):
        use(bg_world, "alice@acme.test", "erp:payments-approve")
    with bg_world.store.uow() as s:
        dana = directory.require(s, "dana@acme.test")
        review(s, bg_world.ctx("dana@acme.test"), use_id=1, reviewer=dana, verdict="not_justified",
               reason="no incident on record", version=1)
    use(bg_world, "alice@acme.test", "erp:payments-approve")


def test_reviews_are_authorised_from_the_database_and_decided_once(bg_world):
    use_id = use(bg_world, "alice@acme.test")
    with bg_world.store.uow() as s:
        alice, bob, dana = (directory.require(s, f"{n}@acme.test") for n in ("alice", "bob", "dana"))
    for who, error in ((alice, SelfApproval), (bob, NotAuthorized)):
        with pytest.raises(error), bg_world.store.uow() as s:
            review(s, bg_world.ctx(who.email), use_id=use_id, reviewer=who, verdict="justified", reason="fine",
                   version=1)
    with pytest.raises(Exception, match="Say why"), bg_world.store.uow() as s:
        review(s, bg_world.ctx(), use_id=use_id, reviewer=dana, verdict="justified", reason="", version=1)
    with bg_world.store.uow() as s:
        review(s, bg_world.ctx(), use_id=use_id, reviewer=dana, verdict="justified", reason="real outage", version=1)
    with pytest.raises(AlreadyDecided), bg_world.store.uow() as s:
        review(s, bg_world.ctx(), use_id=use_id, reviewer=dana, verdict="not_justified", reason="changed my mind", version=1)
    [event] = audit(bg_world, "break_glass.reviewed")
    assert event.detail["verdict"] == "justified" and event.detail["escalated"] is False


def test_access_already_held_is_not_broken_into_again(bg_world):
    use(bg_world, "alice@acme.test", "erp:payments-approve")
    bg_world.run()
    with pytest.raises(Exception, match="already hold"):
        use(bg_world, "alice@acme.test", "erp:payments-approve")
    assert len(bg_world.grants_of("alice@acme.test")) == 1
