"""Movers: new attributes, new manager, access re-checked against the policy with a grace period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.domain.enums import EndReason, GrantStatus, Verdict
from bot.domain.errors import NotAuthorized
from bot.ledger import due
from bot.lifecycle.timers import LifecycleKind
from bot.store.models import ApprovalStep, LifecycleEvent
from tests.lifecycle.helpers import changes, drain, fire, grants_of, hr, live, outbox, person
from tests.support.deps import due_rows

UTC = timezone.utc


def _engineer(world, deps, email="nina@acme.test"):
    hr(deps, "joiner", email, employee_id="E7", name="Nina", department="Engineering", location="London",
       manager_email="dana@acme.test", start_date="2025-01-06")
    rid = world.submit(email, "aws-prod:readonly")  # eligible as an engineer; the manager approves
    world.decide("dana@acme.test", rid)
    drain(deps)
    return world.request(rid).grant_id


def test_a_transfer_ends_what_the_new_role_does_not_allow_after_the_grace_period(world, deps):
    aws = _engineer(world, deps)
    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "github:member": "active",
                                            "aws-prod:readonly": "active"}

    result = hr(deps, "mover", "nina@acme.test", employee_id="E7", department="Sales", location="New York",
                manager_email="bob@acme.test")
    drain(deps)

    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "github:member": "active",
                                            "aws-prod:readonly": "active", "salesforce:user": "active"}
    [notice] = outbox(deps, "lifecycle.access_ending")
    assert (notice["person_email"], notice["manager_email"]) == ("nina@acme.test", "bob@acme.test")
    assert {g["entitlement"]: g["reason"] for g in notice["grants"]} == {
        "github:member": "no birthright rule gives GitHub member to nina@acme.test any more",
        "aws-prod:readonly": "nina@acme.test does not meet the eligibility rule \"engineers only\" for "
                             f"AWS production readonly ({world.catalog.entitlement('aws-prod:readonly').eligibility.origin})"}
    assert notice["grace_days"] == 3.0 and "access ending" in result.notes[0]
    world.advance(days=3)
    fire(deps)
    drain(deps)

    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "salesforce:user": "active"}
    assert not world.holds("nina@acme.test", "aws-prod-ro") and not world.holds("nina@acme.test", "gh-members")
    ended = {g.entitlement: g.end_reason for g in grants_of(deps, "nina@acme.test") if g.id == aws}
    assert ended == {"aws-prod:readonly": EndReason.POLICY}
    assert [c.new_value for c in changes(deps, "nina@acme.test", "location")] == ["New York"]


def test_moving_back_within_the_grace_period_keeps_the_access(world, deps):
    _engineer(world, deps)
    hr(deps, "mover", "nina@acme.test", department="Sales")
    assert len(due_rows(deps.store, LifecycleKind.POLICY_REVOKE)) == 2
    world.advance(days=1)
    hr(deps, "mover", "nina@acme.test", department="Engineering")
    # Both pending revocations were withdrawn; Salesforce (a Sales birthright) now waits to go instead.
    [salesforce] = due_rows(deps.store, LifecycleKind.POLICY_REVOKE)
    assert next(g.entitlement for g in grants_of(deps, "nina@acme.test")
                if g.id == int(salesforce.ref_id)) == "salesforce:user"
    world.advance(days=3)
    fire(deps)
    drain(deps)
    assert {"github:member", "aws-prod:readonly"} <= set(live(deps, "nina@acme.test"))


def test_a_grant_allowed_again_when_the_timer_fires_is_kept(world, deps):
    aws = _engineer(world, deps)
    hr(deps, "mover", "nina@acme.test", department="Sales")
    nina = person(deps, "nina@acme.test")
    with deps.store.uow() as s:  # another source moves her back without an HR event (e.g. the people file)
        s.get(type(nina), nina.id).department = "Engineering"
    world.advance(days=3)
    fire(deps)
    assert live(deps, "nina@acme.test")["aws-prod:readonly"] == GrantStatus.ACTIVE
    assert aws in [g.id for g in grants_of(deps, "nina@acme.test")]


def test_a_new_manager_takes_over_pending_manager_approvals(world, deps):
    _engineer(world, deps)
    waiting = world.submit("nina@acme.test", "erp:payments-create")
    hr(deps, "mover", "nina@acme.test", manager_email="erin@acme.test")
    erin = person(deps, "erin@acme.test")
    with deps.store.uow() as s:
        step = s.scalar(select(ApprovalStep).where(ApprovalStep.request_id == waiting))
        assert step.approver_ids == [erin.id]
    [moved] = outbox(deps, "request.rerouted")
    assert moved["request_id"] == waiting and moved["added_ids"] == [erin.id]
    with pytest.raises(NotAuthorized):
        world.decide("dana@acme.test", waiting)  # the old manager no longer decides
    assert world.decide("erin@acme.test", waiting, Verdict.APPROVE) is True


def test_a_change_dated_in_the_future_waits_for_its_day(world, deps):
    _engineer(world, deps)
    effective = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    result = hr(deps, "mover", "nina@acme.test", title="Staff Engineer", effective_at=effective)
    assert result.status == "scheduled" and person(deps, "nina@acme.test").title == ""
    world.clock.set(effective)
    fire(deps)
    assert person(deps, "nina@acme.test").title == "Staff Engineer"
    [change] = changes(deps, "nina@acme.test", "title")
    assert (change.effective_at, change.changed_at) == (effective, effective)


def test_a_backdated_change_applies_now_and_keeps_both_dates(world, deps):
    _engineer(world, deps)
    effective = world.clock.now() - timedelta(days=10)
    result = hr(deps, "mover", "nina@acme.test", title="Senior Engineer", effective_at=effective)
    assert result.status == "applied" and person(deps, "nina@acme.test").title == "Senior Engineer"
    [change] = changes(deps, "nina@acme.test", "title")
    assert (change.effective_at, change.changed_at) == (effective, world.clock.now())


def test_changes_delivered_out_of_order_never_let_an_older_one_win(world, deps):
    _engineer(world, deps)
    morning = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    afternoon = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    hr(deps, "mover", "nina@acme.test", event_id="second", department="Marketing", effective_at=afternoon,
       occurred_at=afternoon)
    late = hr(deps, "mover", "nina@acme.test", event_id="first", department="Sales", title="Account Executive",
              effective_at=morning, occurred_at=morning)

    nina = person(deps, "nina@acme.test")
    assert (nina.department, nina.title) == ("Marketing", "Account Executive")  # title: nobody newer said
    assert late.notes[-1] == "newer events already set department: kept"
    with deps.store.uow() as s:
        rows = s.scalars(select(LifecycleEvent).order_by(LifecycleEvent.id)).all()
        assert [(r.event_id, r.status) for r in rows][-2:] == [("hr:second", "applied"), ("hr:first", "applied")]
