"""The dry-run preview, scheduled leave, and retries that finish in the background."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.ledger import due
from bot.ledger.context import Actor
from bot.offboarding import engine, jobs, plan, prepare
from bot.offboarding.timers import OffboardingKind
from bot.store.models import AuditEvent, Offboarding, ProvisioningAction
from connectors.errors import TransientError
from tests.offboarding.conftest import holding
from tests.support.deps import due_rows, fire_due

IT = Actor("ivan@acme.test", Trigger.CLI)


def _counts(deps):
    with deps.store.uow() as s:
        return (s.scalar(select(func.count()).select_from(ProvisioningAction)),
                s.scalar(select(func.count()).select_from(AuditEvent)),
                s.scalar(select(func.count()).select_from(Offboarding)))


def test_the_preview_lists_every_call_and_changes_nothing(world, deps):
    holding(world, "alice@acme.test", "github:member", "github:triage", "okta:admin", "wiki:editor")
    pending = world.submit("alice@acme.test", "erp:payments-create")
    before = _counts(deps)
    calls = {n: list(world.connectors[n].calls) for n in ("gh", "mem", "okta")}

    preview = plan.preview(deps, "alice@acme.test")

    assert _counts(deps) == before and {n: world.connectors[n].calls for n in calls} == calls
    steps = {(st.system, st.what): st for st in preview.steps}
    assert steps[("gh", "remove github:member")].planned_calls == ("remove alice@acme.test from gh-members",)
    assert len(steps[("gh", "remove github:member")].grant_ids) == 2  # member and triage share the target
    assert steps[("okta", "suspend account")].planned_calls == ("suspend alice@acme.test",)
    assert steps[("mem", "end sessions")].planned_calls == ("end sessions of alice@acme.test",)
    assert [s.system for s in preview.steps if s.kind == "suspend"] == ["gh", "mem", "okta"]
    assert preview.requests_to_cancel == [(pending, "erp:payments-create")]
    assert preview.privileged == ["okta:admin"]  # critical risk: the Slack flow asks a second person
    assert preview.problems == [] and preview.person_status == "active"


def test_the_preview_shows_what_cannot_be_done(world, deps):
    holding(world, "alice@acme.test", "okta:apps")
    world.connectors["okta"].known_accounts = set()
    preview = plan.preview(deps, "alice@acme.test")
    [problem] = preview.problems
    assert (problem.system, problem.what, problem.problem) == ("okta", "remove okta:apps", "no account for this person")


def test_a_scheduled_offboarding_runs_at_its_time(world, deps):
    holding(world, "alice@acme.test", "wiki:editor")
    at = world.clock.now() + timedelta(hours=8)
    with deps.store.uow() as s:
        record = prepare.schedule(s, deps.ctx(IT), person=directory.require(s, "alice@acme.test"), at=at,
                                  reason="last day")
        record_id = record.id
    assert fire_due(deps, jobs.HANDLERS) == []  # not yet
    assert world.holds("alice@acme.test", "wiki-editors")
    world.advance(hours=8)

    assert fire_due(deps, jobs.HANDLERS) == [f"{OffboardingKind.OFFBOARD}:{_person_id(deps)}"]

    with deps.store.uow() as s:
        record = s.get(Offboarding, record_id)
        assert (record.status, record.scheduled_for, record.started_at) == ("done", at, at)
    assert not world.holds("alice@acme.test", "wiki-editors")


def test_a_cancelled_scheduled_offboarding_does_nothing(world, deps):
    holding(world, "alice@acme.test", "wiki:editor")
    with deps.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        prepare.schedule(s, deps.ctx(IT), person=alice, at=world.clock.now() + timedelta(hours=1))
        assert prepare.cancel_scheduled(s, deps.ctx(IT), person=alice, reason="stays after all").status == "cancelled"
    world.advance(hours=2)
    assert fire_due(deps, jobs.HANDLERS) == []
    assert world.holds("alice@acme.test", "wiki-editors")
    with deps.store.uow() as s:
        assert directory.require(s, "alice@acme.test").status == "active"


def test_a_transient_failure_is_retried_in_the_background_and_the_report_follows(world, deps):
    holding(world, "alice@acme.test", "wiki:editor")
    world.connectors["mem"].fail_next(TransientError("503 from the target"))
    report = engine.run(deps, email="alice@acme.test", actor=IT)
    [failed] = [i for x in report.systems for i in x.items if i.state == "failed"]
    assert "503 from the target" in failed.reason and "retrying at" in failed.reason
    [resume] = due_rows(deps.store, OffboardingKind.OFFBOARDING_RESUME)
    with deps.store.uow() as s:
        assert resume.due_at == s.get(ProvisioningAction, failed.action_id).next_attempt_at

    world.clock.set(resume.due_at)
    fire_due(deps, jobs.HANDLERS)

    latest = engine.current_report(deps, "alice@acme.test")
    assert latest.status == "done" and latest.count("failed") == 0
    assert due_rows(deps.store, OffboardingKind.OFFBOARDING_RESUME) == []
    assert not world.holds("alice@acme.test", "wiki-editors")


def _person_id(deps) -> int:
    with deps.store.uow() as s:
        return directory.require(s, "alice@acme.test").id
