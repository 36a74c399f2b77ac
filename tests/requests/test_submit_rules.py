"""What the policy refuses at submission, and how repeated requests merge instead of piling up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, RequestStatus
from bot.domain.errors import (
    InvalidDuration,
    MissingJustification,
    NotEligible,
    NotFoundError,
    SeparationOfDuties,
)
from tests.support.builders import dump
from tests.support.world import make_world, world_document


def test_duration_above_the_maximum_is_refused(world):
    with pytest.raises(InvalidDuration) as refused:
        world.submit("alice@acme.test", "erp:payments-create", duration=timedelta(days=3))
    assert refused.value.field == "duration"
    assert world.grants_of("alice@acme.test") == []


def test_permanent_is_refused_unless_the_policy_allows_it(world):
    with pytest.raises(InvalidDuration):
        world.submit("alice@acme.test", "erp:payments-create", duration=None)
    rid = world.submit("alice@acme.test", "wiki:editor", duration=None)
    assert world.request(rid).duration_seconds is None


def test_justification_required_by_the_policy(world):
    with pytest.raises(MissingJustification) as refused:
        world.submit("alice@acme.test", "github:admin")
    assert refused.value.field == "justification"


def test_unknown_entitlement_is_a_clear_error(world):
    with pytest.raises(NotFoundError):
        world.submit("alice@acme.test", "github:superuser")


def test_separation_of_duties_conflict_is_refused(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    world.decide("dana@acme.test", rid)
    world.run()
    with pytest.raises(SeparationOfDuties, match="payments-four-eyes"):
        world.submit("alice@acme.test", "erp:payments-approve")


def test_a_duplicate_pending_request_is_superseded(world):
    first = world.submit("alice@acme.test", "erp:payments-create")
    second = world.submit("alice@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    assert world.request(first).status == RequestStatus.SUPERSEDED
    assert world.request(second).status == RequestStatus.PENDING


def test_requesting_held_access_extends_the_existing_grant(world):
    rid = world.submit("alice@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    world.decide("dana@acme.test", rid)
    world.run()
    [grant] = world.grants_of("alice@acme.test")
    world.advance(minutes=30)
    again = world.submit("alice@acme.test", "erp:payments-create", duration=timedelta(hours=4))
    assert world.request(again).extends_grant_id == grant.id
    world.decide("dana@acme.test", again)
    world.run()
    grants = world.grants_of("alice@acme.test")
    assert len(grants) == 1, "an extension must not create a second grant"
    assert grants[0].ends_at == world.clock.now() + timedelta(hours=4)
    assert grants[0].status == GrantStatus.ACTIVE
    assert world.mem.calls.count(("grant", "alice@acme.test", "erp-pay-create")) == 1


def _owned_by_department() -> str:
    document = world_document()
    document["resources"]["github"]["entitlements"]["triage"] = {
        "target": "gh-triage", "eligibility": "person.department in owner_departments",
        "auto_approve": "person.department in owner_departments"}
    return dump(document)


OWNED_BY_DEPARTMENT = _owned_by_department()


def test_owner_departments_come_from_the_directory_at_submission(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, OWNED_BY_DEPARTMENT)  # GitHub's owner Olga is in Engineering

    request_id = world.submit("alice@acme.test", "github:triage")  # Engineering, like Olga
    assert world.request(request_id).auto_approved
    with pytest.raises(NotEligible, match="owner_departments"):
        world.submit("bob@acme.test", "github:triage")  # Sales

    with store.uow() as s:  # Olga moves to Sales: the rule follows the directory, no reload needed
        directory.upsert(s, directory.PersonInput(email="olga@acme.test", department="Sales"), source="test",
                         now=clock.now())
        assert directory.owner_departments(s, ["olga@acme.test", "nobody@acme.test"]) == ["Sales"]
    assert world.request(world.submit("bob@acme.test", "github:triage")).auto_approved
