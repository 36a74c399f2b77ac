"""Joiners get birthright access on their start date; leavers lose everything, now or on their day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.domain.enums import PersonStatus
from bot.domain.errors import UnknownPerson
from bot.store.models import DeliveryKey, LifecycleEvent
from bot.ledger import due
from tests.lifecycle.helpers import (
    changes,
    drain,
    fire,
    grants_of,
    hr,
    live,
    offboardings,
    outbox,
    person,
    start_scheduled_grants,
    wait_for_offboarding,
)
from bot.offboarding.timers import OffboardingKind
from tests.support.deps import due_rows

UTC = timezone.utc


def test_a_joiner_starting_next_week_gets_birthright_access_on_their_first_day(world, deps):
    # The clock reads Monday 2 Nov 2026 09:00 UTC; London is on GMT then.
    result = hr(deps, "joiner", "nina@acme.test", employee_id="E100", name="Nina", department="Engineering",
                manager_email="dana@acme.test", start_date="2026-11-09")
    assert result.status == "applied"
    assert live(deps, "nina@acme.test") == {"wiki:editor": "scheduled", "github:member": "scheduled"}
    assert {g.starts_at for g in grants_of(deps, "nina@acme.test")} == {datetime(2026, 11, 9, 0, 0, tzinfo=UTC)}
    assert not world.holds("nina@acme.test", "gh-members")

    world.clock.set(datetime(2026, 11, 9, 0, 0, tzinfo=UTC))
    start_scheduled_grants(deps)

    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "github:member": "active"}
    assert world.holds("nina@acme.test", "gh-members") and world.holds("nina@acme.test", "wiki-editors")
    assert {g.granted_by for g in grants_of(deps, "nina@acme.test")} == {"birthright: everyone",
                                                                        "birthright: engineering"}


def test_a_joiner_whose_manager_is_unknown_is_refused_and_nothing_changes(world, deps):
    with pytest.raises(UnknownPerson) as refused:
        hr(deps, "joiner", "nina@acme.test", event_id="late-manager", department="Sales",
           manager_email="newboss@acme.test")
    assert "newboss@acme.test" in refused.value.message
    with deps.store.uow() as s:
        assert s.scalar(select(LifecycleEvent)) is None and s.get(DeliveryKey, "hr:late-manager") is None
    hr(deps, "joiner", "newboss@acme.test", name="New Boss", department="Sales")
    # The same event, re-sent once the manager exists, now goes through.
    assert hr(deps, "joiner", "nina@acme.test", event_id="late-manager", department="Sales",
              manager_email="newboss@acme.test").status == "applied"


def test_the_same_event_delivered_twice_is_applied_once(world, deps):
    first = hr(deps, "joiner", "nina@acme.test", event_id="dup-1", department="Sales")
    second = hr(deps, "joiner", "nina@acme.test", event_id="dup-1", department="Sales")
    assert (first.status, second.status) == ("applied", "duplicate")
    assert len(grants_of(deps, "nina@acme.test")) == 2  # wiki + salesforce, once


def test_an_immediate_termination_removes_everything_now(world, deps):
    hr(deps, "joiner", "nina@acme.test", department="Engineering")
    drain(deps)
    assert world.holds("nina@acme.test", "gh-members")
    future = world.clock.now() + timedelta(days=10)

    result = hr(deps, "leaver", "nina@acme.test", termination="immediate", effective_at=future, reason="misconduct")

    record = wait_for_offboarding(deps, "nina@acme.test")
    assert result.offboarding_ids == [record.id] and record.status == "done"
    assert live(deps, "nina@acme.test") == {}
    assert not world.holds("nina@acme.test", "gh-members") and "nina@acme.test" in world.mem.suspended
    assert record.reason.startswith("misconduct: hr:")


def test_end_of_day_termination_waits_for_the_end_of_the_day_where_the_person_works(world, deps):
    hr(deps, "joiner", "nina@acme.test", department="Engineering", timezone="America/New_York")
    drain(deps)
    hr(deps, "leaver", "nina@acme.test", termination="end_of_day", effective_at=world.clock.now())

    # 2 Nov 2026 ends in New York at 05:00 UTC on 3 Nov (EST, UTC-5).
    [row] = due_rows(deps.store, OffboardingKind.OFFBOARD)
    assert row.due_at == datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
    world.clock.set(datetime(2026, 11, 3, 4, 59, tzinfo=UTC))
    assert fire(deps) == [] and world.holds("nina@acme.test", "gh-members")
    world.clock.set(row.due_at)
    fire(deps)
    assert offboardings(deps, "nina@acme.test")[-1].status == "done"
    assert not world.holds("nina@acme.test", "gh-members")


def test_a_leaver_dated_in_the_future_is_offboarded_then(world, deps):
    hr(deps, "joiner", "nina@acme.test", department="Sales")
    leave = world.clock.now() + timedelta(days=14, hours=8)
    result = hr(deps, "leaver", "nina@acme.test", effective_at=leave)
    assert result.offboarding_ids == [] and person(deps, "nina@acme.test").status == PersonStatus.ACTIVE
    [record] = offboardings(deps, "nina@acme.test")
    assert (record.status, record.scheduled_for) == ("scheduled", leave)
    world.clock.set(leave)
    fire(deps)
    assert offboardings(deps, "nina@acme.test")[-1].status == "done"
    assert person(deps, "nina@acme.test").status == PersonStatus.LEAVER


def test_a_backdated_leaver_is_offboarded_now_and_both_dates_are_recorded(world, deps):
    hr(deps, "joiner", "nina@acme.test", department="Sales", start_date="2025-01-06")
    effective = world.clock.now() - timedelta(days=3)
    hr(deps, "leaver", "nina@acme.test", event_id="late-news", effective_at=effective)
    record = wait_for_offboarding(deps, "nina@acme.test")
    assert record.status == "done" and record.started_at == world.clock.now()
    assert "effective 2026-10-30 09:00 UTC (backdated), received 2026-11-02 09:00 UTC" in record.reason
    with deps.store.uow() as s:
        row = s.scalar(select(LifecycleEvent).where(LifecycleEvent.event_id == "hr:late-news"))
        assert (row.effective_at, row.received_at, row.applied_at) == (effective, world.clock.now(),
                                                                       world.clock.now())
    [status_change] = changes(deps, "nina@acme.test", "status")
    assert (status_change.old_value, status_change.new_value) == ("active", "leaver")


def test_a_contractor_loses_access_at_the_end_of_the_contract_without_any_hr_event(world, deps):
    hr(deps, "joiner", "zoe@acme.test", department="Engineering", employment_type="contractor",
       end_date="2026-11-30")
    drain(deps)
    [row] = due_rows(deps.store, OffboardingKind.OFFBOARD)
    assert row.due_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # end of 30 Nov in London (GMT)
    assert row.payload["origin"] == "end_date"

    hr(deps, "mover", "zoe@acme.test", end_date="2026-12-31")  # the contract is extended
    [row] = due_rows(deps.store, OffboardingKind.OFFBOARD)
    assert row.due_at == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    world.clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert fire(deps) == [] and world.holds("zoe@acme.test", "gh-members")

    world.clock.set(row.due_at)
    fire(deps)
    assert not world.holds("zoe@acme.test", "gh-members") and live(deps, "zoe@acme.test") == {}
    assert person(deps, "zoe@acme.test").status == PersonStatus.LEAVER


def test_clearing_the_end_date_cancels_the_offboarding_it_had_scheduled(world, deps):
    hr(deps, "joiner", "zoe@acme.test", department="Sales", employment_type="contractor", end_date="2026-11-30")
    hr(deps, "mover", "zoe@acme.test", employment_type="employee", end_date=None)
    assert due_rows(deps.store, OffboardingKind.OFFBOARD) == []
    assert [r.status for r in offboardings(deps, "zoe@acme.test")] == ["cancelled"]
    assert [o["reason"] for o in outbox(deps, "offboarding.cancelled")] == ["end date removed"]
