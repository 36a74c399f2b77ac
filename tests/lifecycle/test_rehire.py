"""Re-hires through the real HR webhook: accounts accessbot suspended come back, nothing else does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.cli.offboard_report import render
from bot.domain.enums import ActionKind, ActionStatus, GrantStatus, PersonStatus
from bot.http.app import create_app
from bot.http.hooks import hooks_plugin, sign
from bot.offboarding import engine, report
from bot.store.models import AuditEvent, ManualTask, Person, ProvisioningAction
from bot.ledger import due
from bot.ledger.manual_tasks import complete_task
from connectors.errors import TransientError
from connectors.manual import ManualConnector
from connectors.memory import MemoryConnector
from tests.lifecycle.conftest import LIFECYCLE_CATALOG
from tests.lifecycle.helpers import (
    drain,
    fire,
    grants_of,
    live,
    offboardings,
    outbox,
    person,
    wait_for_offboarding,
)
from bot.lifecycle.timers import LifecycleKind
from tests.support.deps import close, deps_for, due_rows
from tests.support.waiting import wait_until
from tests.support.world import make_world

SECRET = "hr-secret-for-rehire-tests"
NINA = "nina@acme.test"


@pytest.fixture
def world(store, clock, tmp_path):
    systems = {"mem": MemoryConnector("mem"), "idp": MemoryConnector("idp"), "mail": MemoryConnector("mail")}
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG, connectors=systems)


@pytest.fixture
def deps(world):
    d = deps_for(world, hr_webhook_secret=SECRET)
    yield d
    close(d)


@pytest.fixture
def client(deps):
    return TestClient(create_app(deps.settings, deps=deps, plugins=[hooks_plugin]))


class Hr:
    """Signed deliveries to POST /hooks/hr, as an HR system sends them."""

    def __init__(self, client, deps):
        self.client, self.deps, self.sent = client, deps, 0

    def __call__(self, type_: str, *, effective_at=None, termination=None, **person) -> dict:
        self.sent += 1
        body = {"event_id": f"wd-{self.sent}", "type": type_, "occurred_at": self.deps.clock.now().isoformat(),
                "person": {"email": NINA, **person}}
        if effective_at is not None:
            body["effective_at"] = effective_at.isoformat()
        if termination:
            body["termination"] = termination
        raw = json.dumps(body).encode()
        ts = int(self.deps.clock.now().timestamp())
        response = self.client.post("/hooks/hr", content=raw, headers={
            "X-Accessbot-Timestamp": str(ts), "X-Accessbot-Signature": sign(SECRET, ts, raw),
            "Content-Type": "application/json"})
        assert response.status_code == 202, response.text
        return response.json()


@pytest.fixture
def hr(client, deps):
    return Hr(client, deps)


def suspended(world) -> set[str]:
    return {name for name, connector in world.connectors.items() if NINA in connector.suspended}


def reactivations(deps) -> dict[str, str]:
    with deps.store.uow() as s:
        return {r.connector: r.status for r in s.scalars(select(ProvisioningAction).where(
            ProvisioningAction.action == ActionKind.REACTIVATE))}


def audited(deps, action: str) -> list[AuditEvent]:
    with deps.store.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def left(deps, hr, **person) -> None:
    """Left yesterday, HR says today: a re-hire sent now is the newer event."""
    hr("leaver", employee_id="E1", termination="immediate", effective_at=deps.clock.now() - timedelta(days=1), **person)


def joined_and_left(world, deps, hr) -> None:
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
    drain(deps)
    world.connectors["idp"].suspended.add(NINA)  # disabled in the IdP by someone else, before the leave
    left(deps, hr)
    assert wait_for_offboarding(deps, NINA).status == "done"
    assert suspended(world) == {"mem", "idp", "mail"}


def test_a_rehire_reactivates_only_the_accounts_accessbot_suspended(world, deps, hr):
    joined_and_left(world, deps, hr)
    old_grants = {g.id for g in grants_of(deps, NINA)}

    answer = hr("joiner", employee_id="E2", department="Engineering", start_date="2026-11-02")
    drain(deps)

    assert suspended(world) == {"idp"}, answer["notes"]  # not ours to undo
    assert reactivations(deps) == {"mem": ActionStatus.SUCCEEDED, "mail": ActionStatus.SUCCEEDED}
    notes = " | ".join(answer["notes"])
    assert "reactivating the accounts accessbot suspended: mail, mem" in notes
    assert "idp not reactivated: it was already suspended when accessbot offboarded" in notes
    assert "earlier access is not restored: it must be requested again" in notes
    statuses = {g.id: g.status for g in grants_of(deps, NINA)}
    assert all(statuses[i] == GrantStatus.REVOKED for i in old_grants)
    assert live(deps, NINA) == {"wiki:editor": "active", "github:member": "active"}  # birthright, as a joiner

    shown = engine.current_report(deps, NINA)
    assert shown.rehire is not None and shown.rehire.status == "done"
    assert [(i.what, i.state) for i in shown.rehire.items] == [
        ("mail: reactivate account", report.OK), ("mem: reactivate account", report.OK)]
    assert [x["system"] for x in shown.rehire.left_suspended] == ["idp"]
    text = render(shown)
    assert "earlier access is not restored" in text and "idp: not reactivated" in text

    [planned] = audited(deps, "lifecycle.reactivation_planned")
    assert planned.detail["systems"] == ["mail", "mem"] and planned.detail["left_suspended"][0]["system"] == "idp"
    assert len(audited(deps, "provisioning.reactivate.done")) == 2
    [notice] = outbox(deps, "lifecycle.reactivation_planned")
    assert notice["channel"] == "C0ITOPS" and notice["person_email"] == NINA


def test_leaving_again_after_a_rehire_suspends_again_and_the_next_rehire_undoes_it(world, deps, hr):
    world.connectors["mail"].fail_next(TransientError("mail server busy"))
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
    drain(deps)
    left(deps, hr)
    assert wait_for_offboarding(deps, NINA).status == "partial"  # mail's suspend waits for a retry
    back = hr("joiner", employee_id="E1", department="Engineering")  # back before it ran
    drain(deps)
    assert suspended(world) == set(), (back["notes"], reactivations(deps))

    hr("leaver", employee_id="E1", termination="immediate")
    wait_for_offboarding(deps, NINA)
    records = offboardings(deps, NINA)
    assert len(records) == 2 and records[-1].status == "done"  # a new offboarding, not the old one resumed
    assert suspended(world) == {"mem", "idp", "mail"}

    deps.clock.advance(timedelta(days=1))
    hr("joiner", employee_id="E1", department="Engineering")
    drain(deps)
    assert suspended(world) == set()
    assert engine.current_report(deps, NINA).offboarding_id == records[-1].id


def test_a_reactivation_still_retrying_when_the_person_leaves_again_is_dropped_and_stays_ours(world, deps, hr):
    joined_and_left(world, deps, hr)
    world.connectors["mail"].fail_next(TransientError("mail server busy"))
    hr("joiner", employee_id="E1", department="Engineering")
    drain(deps)
    assert reactivations(deps)["mail"] == ActionStatus.FAILED_RETRYABLE

    hr("leaver", employee_id="E1", termination="immediate")  # gone again before the retry
    wait_for_offboarding(deps, NINA)
    deps.clock.advance(timedelta(hours=2))
    drain(deps)
    with deps.store.uow() as s:
        retried = s.scalar(select(ProvisioningAction).where(
            ProvisioningAction.action == ActionKind.REACTIVATE, ProvisioningAction.connector == "mail"))
    assert (retried.status, retried.summary) == (ActionStatus.SKIPPED, "the person has left again: left suspended")
    assert suspended(world) == {"mem", "idp", "mail"}  # mem came back and was suspended again

    # mail's second suspend found it "already suspended", but by accessbot: the next re-hire undoes it.
    hr("joiner", employee_id="E1", department="Engineering")
    drain(deps)
    assert suspended(world) == {"idp"}


def test_a_rehire_starting_later_reactivates_on_the_start_date(world, deps, hr):
    joined_and_left(world, deps, hr)

    answer = hr("joiner", employee_id="E2", department="Engineering", start_date="2026-11-16")
    drain(deps)

    assert suspended(world) == {"mem", "idp", "mail"} and reactivations(deps) == {}
    [row] = due_rows(deps.store, LifecycleKind.REACTIVATE)
    assert row.due_at.date().isoformat() == "2026-11-16" and row.ref_id == str(person(deps, NINA).id)
    assert "reactivated on the start date (2026-11-16" in " ".join(answer["notes"])
    assert engine.current_report(deps, NINA).rehire.status == "scheduled"
    assert outbox(deps, "lifecycle.reactivation_scheduled")[0]["channel"] == "C0ITOPS"
    assert set(live(deps, NINA).values()) == {GrantStatus.SCHEDULED}  # birthright waits for the day too

    deps.clock.advance(timedelta(days=13))
    assert fire(deps) == []  # not yet
    deps.clock.advance(timedelta(days=1))
    assert LifecycleKind.REACTIVATE in " ".join(fire(deps))
    drain(deps)
    assert suspended(world) == {"idp"}
    assert engine.current_report(deps, NINA).rehire.status == "done"


def test_a_scheduled_reactivation_is_dropped_when_the_person_leaves_again_first(world, deps, hr):
    joined_and_left(world, deps, hr)
    hr("joiner", employee_id="E2", department="Engineering", start_date="2026-11-16")
    # The offer is withdrawn: HR ends the new employment at once, before it starts.
    hr("leaver", employee_id="E2", termination="immediate", effective_at=datetime(2026, 11, 16, tzinfo=timezone.utc))
    wait_for_offboarding(deps, NINA)

    deps.clock.advance(timedelta(days=14))
    fire(deps)
    drain(deps)
    assert suspended(world) == {"mem", "idp", "mail"} and reactivations(deps) == {}
    assert person(deps, NINA).status == PersonStatus.LEAVER
    assert len(audited(deps, "lifecycle.reactivation_dropped")) == 1


def test_a_rehire_before_a_scheduled_leave_cancels_it_and_suspends_nothing(world, deps, hr):
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
    drain(deps)
    hr("leaver", employee_id="E1", end_date="2026-11-12")  # leaves at the end of that day
    assert [r.status for r in offboardings(deps, NINA)] == ["scheduled"]

    deps.clock.advance(timedelta(hours=1))
    answer = hr("joiner", employee_id="E1", department="Engineering")

    assert [r.status for r in offboardings(deps, NINA)] == ["cancelled"]
    assert "is cancelled: re-hired before leaving" in " ".join(answer["notes"])
    deps.clock.advance(timedelta(days=11))
    fire(deps)
    drain(deps)
    assert suspended(world) == set() and person(deps, NINA).status == PersonStatus.ACTIVE
    assert person(deps, NINA).end_date is None and [r.status for r in offboardings(deps, NINA)] == ["cancelled"]
    assert live(deps, NINA) == {"wiki:editor": "active", "github:member": "active"}


def test_a_rehire_after_a_gap_lets_the_leave_happen_then_brings_the_accounts_back(world, deps, hr):
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
    drain(deps)
    hr("leaver", employee_id="E1", end_date="2026-11-06")

    answer = hr("joiner", employee_id="E2", department="Sales", start_date="2026-12-01")  # a new contract later
    assert answer["status"] == "scheduled" and person(deps, NINA).department == "Engineering"

    deps.clock.advance(timedelta(days=6))
    fire(deps)
    wait_for_offboarding(deps, NINA)
    drain(deps)
    assert suspended(world) == {"mem", "idp", "mail"} and live(deps, NINA) == {}

    deps.clock.advance(timedelta(days=25))
    fire(deps)
    drain(deps)
    nina = person(deps, NINA)
    assert (nina.status, nina.employee_id, nina.department) == (PersonStatus.ACTIVE, "E2", "Sales")
    assert suspended(world) == set()
    assert live(deps, NINA) == {"wiki:editor": "active", "salesforce:user": "active"}


def test_a_rehire_stops_suspends_that_have_not_run_and_leaves_those_accounts_alone(world, deps, hr):
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
    drain(deps)
    world.connectors["mail"].fail_next(TransientError("mail server busy"))
    left(deps, hr)
    record = wait_for_offboarding(deps, NINA)
    assert record.status == "partial" and suspended(world) == {"mem", "idp"}

    answer = hr("joiner", employee_id="E1", department="Engineering")
    drain(deps)

    with deps.store.uow() as s:
        mail_suspend = s.scalar(select(ProvisioningAction).where(
            ProvisioningAction.connector == "mail", ProvisioningAction.action == ActionKind.SUSPEND))
    assert (mail_suspend.status, mail_suspend.summary) == (ActionStatus.SKIPPED, "not needed: re-hired before it ran")
    assert suspended(world) == set()
    assert reactivations(deps) == {"mem": ActionStatus.SUCCEEDED, "idp": ActionStatus.SUCCEEDED}
    assert "mail not reactivated: accessbot never suspended it" in " ".join(answer["notes"])
    # The offboarding's own resume job settles its status now that nothing of it is left to retry.
    fire(deps)
    assert offboardings(deps, NINA)[-1].status == "done"
    deps.clock.advance(timedelta(hours=2))
    drain(deps)
    assert NINA not in world.connectors["mail"].suspended  # the stopped suspend never runs later


def test_a_rehired_leaver_is_not_offboarded_again_by_the_old_end_date(world, deps, hr):
    hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04",
       end_date="2026-11-01")
    wait_for_offboarding(deps, NINA)  # the end date had passed: offboarded at once
    drain(deps)

    hr("joiner", employee_id="E2", department="Engineering", start_date="2026-11-02")
    drain(deps)

    nina = person(deps, NINA)
    assert (nina.status, nina.end_date) == (PersonStatus.ACTIVE, None)
    assert [r.status for r in offboardings(deps, NINA)] == ["done"]
    assert suspended(world) == set()


@pytest.fixture
def manual_world(store, clock, tmp_path):
    systems = {"mem": MemoryConnector("mem"), "badge": ManualConnector("badge", {"channel": "C0BADGES"})}
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG, connectors=systems)


def test_a_reactivation_waits_for_a_suspend_still_in_progress_and_follows_its_outcome(manual_world, store):
    deps = deps_for(manual_world, hr_webhook_secret=SECRET)
    try:
        hr = Hr(TestClient(create_app(deps.settings, deps=deps, plugins=[hooks_plugin])), deps)
        hr("joiner", employee_id="E1", department="Engineering", employment_type="employee", start_date="2024-03-04")
        drain(deps)
        left(deps, hr)
        assert wait_for_offboarding(deps, NINA).status == "waiting"  # IT has a task to disable the badge

        hr("joiner", employee_id="E1", department="Engineering")
        # The badge's reactivation is held back (not claimable) while its suspend is still with IT.
        # background kicks may be running too: run what provisioning can run between polls
        wait_until(lambda: reactivations(deps) == {"mem": ActionStatus.SUCCEEDED, "badge": ActionStatus.QUEUED},
                   between=deps.runner.run_due, what=lambda: f"reactivations {reactivations(deps)}")

        with deps.store.uow() as s:
            task = s.scalar(select(ManualTask).order_by(ManualTask.id))
            ivan = s.scalar(select(Person).where(Person.email == "ivan@acme.test"))
            complete_task(s, manual_world.ctx("ivan@acme.test"), task_id=task.id, by=ivan, done=True)
        drain(deps)
        # The badge was disabled by IT for accessbot: undoing it is a task again, not a silent skip.
        assert reactivations(deps) == {"mem": ActionStatus.SUCCEEDED, "badge": ActionStatus.PENDING_EXTERNAL}
    finally:
        close(deps)
