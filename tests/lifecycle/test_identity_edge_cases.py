"""Who an event is about: re-hires, email changes, conflicts, strangers, stale leavers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.domain.enums import GrantStatus, PersonStatus
from bot.lifecycle.identity import IdentityConflict
from bot.store.models import Grant, Person
from tests.lifecycle.helpers import (
    changes,
    drain,
    grants_of,
    hr,
    live,
    offboardings,
    person,
    wait_for_offboarding,
)

UTC = timezone.utc


def test_a_rehire_keeps_the_person_and_their_history_but_not_their_old_access(world, deps):
    hr(deps, "joiner", "nina@acme.test", employee_id="E1", department="Engineering", start_date="2024-03-04")
    drain(deps)
    old_grants = {g.id for g in grants_of(deps, "nina@acme.test")}
    left = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    hr(deps, "leaver", "nina@acme.test", employee_id="E1", termination="immediate", occurred_at=left)
    wait_for_offboarding(deps, "nina@acme.test")
    first_id = person(deps, "nina@acme.test").id

    result = hr(deps, "joiner", "nina@acme.test", employee_id="E2", department="Sales", start_date="2026-11-02")
    drain(deps)

    nina = person(deps, "nina@acme.test")
    assert nina.id == first_id and nina.status == PersonStatus.ACTIVE and nina.employee_id == "E2"
    assert "re-hired (employee id E1 → E2)" in result.notes[0]
    statuses = {g.id: g.status for g in grants_of(deps, "nina@acme.test")}
    assert all(statuses[i] == GrantStatus.REVOKED for i in old_grants)  # old grants stay ended
    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "salesforce:user": "active"}
    assert [(c.old_value, c.new_value) for c in changes(deps, "nina@acme.test", "employee_id")] == [("E1", "E2")]
    assert [(c.old_value, c.new_value) for c in changes(deps, "nina@acme.test", "status")] == [
        ("active", "leaver"), ("leaver", "active")]


def test_a_new_employee_id_on_an_address_still_in_use_is_refused(world, deps):
    hr(deps, "joiner", "nina@acme.test", employee_id="E1", department="Sales")
    with pytest.raises(IdentityConflict) as refused:
        hr(deps, "joiner", "nina@acme.test", employee_id="E9", department="Engineering")
    assert "is employee E1, not E9" in refused.value.message
    assert person(deps, "nina@acme.test").department == "Sales"


def test_an_email_change_keeps_the_person_and_their_grants(world, deps):
    hr(deps, "joiner", "nina@acme.test", employee_id="E5", department="Engineering", start_date="2025-01-06")
    drain(deps)
    before = person(deps, "nina@acme.test")
    grant_ids = [g.id for g in grants_of(deps, "nina@acme.test")]

    hr(deps, "mover", "nina.rossi@acme.test", employee_id="E5", name="Nina Rossi")

    renamed = person(deps, "nina.rossi@acme.test")
    assert renamed.id == before.id and renamed.name == "Nina Rossi"
    assert [g.id for g in grants_of(deps, "nina.rossi@acme.test")] == grant_ids
    assert [(c.old_value, c.new_value) for c in changes(deps, "nina.rossi@acme.test", "email")] == [
        ("nina@acme.test", "nina.rossi@acme.test")]
    with deps.store.uow() as s:
        assert s.scalar(select(Person).where(Person.email == "nina@acme.test")) is None


def test_an_employee_id_pointing_at_one_person_and_an_email_at_another_is_refused(world, deps):
    hr(deps, "joiner", "nina@acme.test", employee_id="E5", department="Sales")
    with pytest.raises(IdentityConflict):
        hr(deps, "leaver", "alice@acme.test", employee_id="E5", termination="immediate")
    assert person(deps, "alice@acme.test").status == PersonStatus.ACTIVE
    assert person(deps, "nina@acme.test").status == PersonStatus.ACTIVE


def test_a_mover_for_someone_never_seen_is_taken_as_a_joiner(world, deps):
    result = hr(deps, "mover", "omar@acme.test", name="Omar", department="Sales")
    assert result.notes[0] == "never seen before: handled as a joiner"
    drain(deps)
    assert live(deps, "omar@acme.test") == {"wiki:editor": "active", "salesforce:user": "active"}


def test_a_leaver_never_seen_is_recorded_and_their_accounts_are_still_suspended(world, deps):
    world.mem.members["legacy-vpn"].add("ghost@acme.test")  # an account made before accessbot
    result = hr(deps, "leaver", "ghost@acme.test", name="Ghost", termination="immediate")
    record = wait_for_offboarding(deps, "ghost@acme.test")
    assert "never seen before" in result.notes[0] and record.status == "done"
    assert "ghost@acme.test" in world.mem.suspended and world.mem.sessions_ended == ["ghost@acme.test"]
    assert person(deps, "ghost@acme.test").status == PersonStatus.LEAVER


def test_a_leaver_older_than_a_rehire_is_stale_and_does_not_offboard(world, deps):
    left = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    back = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    hr(deps, "joiner", "nina@acme.test", employee_id="E1", department="Sales", start_date="2024-01-08")
    hr(deps, "joiner", "nina@acme.test", employee_id="E1", event_id="rehire", occurred_at=back, effective_at=back)
    drain(deps)
    # The September leaver arrives last (a retried delivery from HR).
    result = hr(deps, "leaver", "nina@acme.test", employee_id="E1", event_id="september", occurred_at=left,
                effective_at=left)
    assert "stale leaver" in result.notes[0] and result.offboarding_ids == []
    assert person(deps, "nina@acme.test").status == PersonStatus.ACTIVE and offboardings(deps, "nina@acme.test") == []
    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "salesforce:user": "active"}
    with deps.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(Grant).where(Grant.status == "revoked")) == 0
