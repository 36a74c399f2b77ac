"""Approval reminders in the approver's business hours, then escalation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import RequestStatus, Verdict
from bot.ledger import due
from bot.store.models import ApprovalStep, DueAction
from bot.timers.claim import claim_due
from bot.timers.fire import fire
from bot.timers.service import TimerService
from tests.support.builders import dump
from tests.support.world import make_world, world_document
from tests.timers.support import audit_subjects, make_deps, outbox

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

def _reminding_catalog() -> str:
    document = world_document()
    document["settings"].update(business_hours="09:00-17:00 Mon-Fri", timezone="Europe/London")
    document["defaults"].update(reminder_after="2h", escalate_after_reminders=2, request_timeout="5d")
    return dump(document)


REMINDING_CATALOG = _reminding_catalog()


@pytest.fixture
def world(store, clock, tmp_path):
    built = make_world(store, clock, tmp_path, REMINDING_CATALOG)
    with store.uow() as s:
        directory.require(s, "dana@acme.test").timezone = "America/New_York"  # Erin keeps none: London
    return built


@pytest.fixture
def timers(world):
    deps = make_deps(world, "replica-a")
    yield TimerService(deps)
    deps.executor.shutdown(wait=True)


def _remind_at(world, request_id) -> datetime:
    with world.store.uow() as s:
        return s.scalar(select(DueAction.due_at).where(DueAction.key == due.key_of(due.LedgerKind.REQUEST_REMIND, request_id),
                                                       DueAction.status == "scheduled"))


def _step(world, request_id, position=0) -> ApprovalStep:
    with world.store.uow() as s:
        return s.scalar(select(ApprovalStep).where(ApprovalStep.request_id == request_id,
                                                   ApprovalStep.position == position))


def _ids(world, *emails) -> list[int]:
    with world.store.uow() as s:
        return [directory.require(s, e).id for e in emails]


def test_the_first_reminder_waits_for_two_business_hours_in_the_approvers_time_zone(world, timers):
    world.clock.set(datetime(2026, 11, 13, 16, 0, tzinfo=NEW_YORK))  # Friday 16:00 for Dana
    rid = world.submit("alice@acme.test", "erp:payments-create")
    monday_ten = datetime(2026, 11, 16, 10, 0, tzinfo=NEW_YORK)
    assert _remind_at(world, rid) == monday_ten
    world.clock.set(monday_ten - timedelta(minutes=1))
    assert timers.sweep_once() == 0 and outbox(world.store, "request.reminder") == []
    world.clock.set(monday_ten)
    assert timers.sweep_once() == 1
    [reminder] = outbox(world.store, "request.reminder")
    assert reminder["request_id"] == rid and reminder["approver_ids"] == _ids(world, "dana@acme.test")
    assert (reminder["reminder"], reminder["escalates_next"]) == (1, False)
    assert _remind_at(world, rid) == datetime(2026, 11, 16, 12, 0, tzinfo=NEW_YORK)


def test_after_two_unanswered_reminders_the_managers_manager_is_asked_too(world, timers):
    world.clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=NEW_YORK))  # Monday 09:00 in New York
    rid = world.submit("alice@acme.test", "erp:payments-create")
    for hour in (11, 13):
        world.clock.set(datetime(2026, 11, 16, hour, 0, tzinfo=NEW_YORK))
        timers.sweep_once()
    assert [r["reminder"] for r in outbox(world.store, "request.reminder")] == [1, 2]
    assert outbox(world.store, "request.reminder")[-1]["escalates_next"] is True
    world.clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=NEW_YORK))
    timers.sweep_once()
    [escalated] = outbox(world.store, "request.escalated")
    dana, erin = _ids(world, "dana@acme.test", "erin@acme.test")
    assert escalated["added_approver_ids"] == [erin] and escalated["previous_approver_ids"] == [dana]
    step = _step(world, rid)
    assert step.escalated and step.approver_ids == [dana, erin]
    assert audit_subjects(world.store, "request.escalated") == {str(rid): 1}
    assert len(outbox(world.store, "request.reminder")) == 2, "escalating replaces the third reminder"
    # Next reminder: Dana's 2 business hours end at 17:00 New York, before Erin's in London (Tue 11:00).
    assert _remind_at(world, rid) == datetime(2026, 11, 16, 17, 0, tzinfo=NEW_YORK)
    assert world.decide("erin@acme.test", rid) is True
    assert world.request(rid).status == RequestStatus.APPROVED
    world.clock.set(datetime(2026, 11, 17, 12, 0, tzinfo=NEW_YORK))
    assert timers.sweep_once() == 0, "an approved request is not chased"


def test_a_step_that_is_not_a_manager_step_escalates_to_the_fallback_approvers(world, timers):
    world.clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=LONDON))
    rid = world.submit("alice@acme.test", "aws-prod:admin")  # two of p1, p2, p3 must approve
    for hour in (11, 13, 15):
        world.clock.set(datetime(2026, 11, 16, hour, 0, tzinfo=LONDON))
        timers.sweep_once()
    [escalated] = outbox(world.store, "request.escalated")
    assert escalated["added_approver_ids"] == _ids(world, "ivan@acme.test")  # the it-admins fallback group
    world.clock.set(datetime(2026, 11, 17, 11, 0, tzinfo=LONDON))
    timers.sweep_once()
    assert len(outbox(world.store, "request.escalated")) == 1, "a step is escalated once"
    assert outbox(world.store, "request.reminder")[-1]["reminder"] == 3


def test_a_decision_on_the_step_moves_the_reminder_to_the_next_step(world, timers):
    world.clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=NEW_YORK))
    rid = world.submit("alice@acme.test", "github:admin", justification="release duty")
    world.clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=NEW_YORK))
    world.decide("dana@acme.test", rid)  # step 1 done; the owners' step (Olga, London) is next
    assert _remind_at(world, rid) == datetime(2026, 11, 16, 17, 0, tzinfo=LONDON)
    world.clock.set(datetime(2026, 11, 16, 11, 0, tzinfo=NEW_YORK))
    assert timers.sweep_once() == 0, "the old step's reminder was moved, not left behind"


def test_a_replica_that_lost_its_claim_sends_no_second_reminder(world, timers):
    world.clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=LONDON))
    rid = world.submit("bob@acme.test", "aws-prod:admin")
    world.clock.set(datetime(2026, 11, 16, 11, 0, tzinfo=LONDON))
    [stale] = claim_due(world.store, now=world.clock.now(), replica_id="slow-replica")
    world.advance(minutes=6)  # the slow replica's lease ran out; the live one takes over
    assert timers.sweep_once() == 1
    outcome = fire(timers.deps, stale, replica_id="slow-replica", now=world.clock.now)
    assert outcome.outcome == "lost"
    assert len(outbox(world.store, "request.reminder")) == 1
    assert _step(world, rid).reminders_sent == 1
