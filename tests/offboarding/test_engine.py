"""Offboarding: every access ends on every system, in parallel, with a report per system."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.directory import service as directory
from bot.domain.enums import ActionStatus, GrantStatus, PersonStatus, RequestStatus, Trigger
from bot.domain.errors import NotEligible
from bot.ledger.context import Actor
from bot.offboarding import engine
from bot.offboarding.timers import OffboardingKind
from bot.store.models import AuditEvent, DueAction, Offboarding, OutboxEvent, ProvisioningAction
from connectors.errors import AuthError
from tests.offboarding.conftest import holding
from tests.support.deps import close, deps_for

IT = Actor("ivan@acme.test", Trigger.CLI)
ALICE_GRANTS = ("github:member", "okta:apps", "erp:payments-create", "wiki:editor")


def _outbox(deps, type_):
    with deps.store.uow() as s:
        return [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)
                                             .order_by(OutboxEvent.id))]


def _rows(deps):
    with deps.store.uow() as s:
        return list(s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id.is_not(None))
                              .order_by(ProvisioningAction.created_at)))


def test_every_grant_account_and_session_ends_and_the_report_says_so_per_system(world, deps):
    grant_ids = holding(world, "alice@acme.test", *ALICE_GRANTS)
    report = engine.run(deps, email="alice@acme.test", actor=IT, reason="left the company")

    assert report.status == "done" and not report.failed
    assert [(x.system, x.mark) for x in report.systems] == [("gh", "✅"), ("mem", "✅"), ("okta", "✅")]
    gh = next(x for x in report.systems if x.system == "gh")
    assert [i.what for i in gh.items] == ["suspend account", "end sessions", "remove github:member"]
    for name in ("gh", "mem", "okta"):
        connector = world.connectors[name]
        assert all("alice@acme.test" not in members for members in connector.members.values())
        assert "alice@acme.test" in connector.suspended and connector.sessions_ended == ["alice@acme.test"]
    assert {g.id: g.status for g in world.grants_of("alice@acme.test")} == {i: GrantStatus.REVOKED for i in grant_ids}
    with deps.store.uow() as s:
        assert directory.require(s, "alice@acme.test").status == PersonStatus.LEAVER
        record = s.get(Offboarding, report.offboarding_id)
        assert record.status == "done" and record.finished_at == world.clock.now()
        assert record.report["totals"] == {"ok": 10, "failed": 0, "pending": 0}
        audited = s.scalars(select(AuditEvent).where(AuditEvent.action == "offboarding.finished")).all()
        assert [a.detail["totals"]["ok"] for a in audited] == [10]
    [finished] = _outbox(deps, "offboarding.finished")
    assert finished["person_email"] == "alice@acme.test" and finished["channel"] == "C0ITOPS"
    assert {x["system"]: x["mark"] for x in finished["systems"]} == {"gh": "✅", "mem": "✅", "okta": "✅"}
    progress = _outbox(deps, "offboarding.progress")
    assert sorted(p["system"] for p in progress) == ["gh", "mem", "okta"]
    assert all(p["mark"] == "✅" and p["systems_total"] == 3 for p in progress)


def test_a_leaver_can_no_longer_ask_for_access(world, deps):
    engine.run(deps, email="alice@acme.test", actor=IT)
    try:
        world.submit("alice@acme.test", "wiki:editor")
    except NotEligible as refusal:
        assert "not an active employee" in refusal.message
    else:
        raise AssertionError("a leaver could submit a request")


def test_a_failing_system_is_reported_and_running_again_finishes_only_what_failed(world, deps):
    holding(world, "alice@acme.test", *ALICE_GRANTS)
    world.connectors["okta"].fail_next(AuthError("the API token was revoked", http_status=401))
    first = engine.run(deps, email="alice@acme.test", actor=IT)

    assert first.status == "partial" and first.failed
    okta = next(x for x in first.systems if x.system == "okta")
    assert okta.mark == "❌"
    [failed] = [i for i in okta.items if i.state == "failed"]  # whichever okta call ran first
    assert "auth: the API token was revoked" in failed.reason and "will not retry by itself" in failed.reason
    assert {x.system: x.mark for x in first.systems if x.system != "okta"} == {"gh": "✅", "mem": "✅"}
    calls_before = {n: list(world.connectors[n].calls) for n in ("gh", "mem", "okta")}
    rows_before = {r.id for r in _rows(deps)}

    second = engine.run(deps, email="alice@acme.test", actor=IT)

    assert second.offboarding_id == first.offboarding_id and second.status == "done"
    assert {r.id for r in _rows(deps)} == rows_before  # the same rows, none added
    assert world.connectors["gh"].calls == calls_before["gh"]  # nothing re-sent where it had worked
    assert world.connectors["mem"].calls == calls_before["mem"]
    resent = world.connectors["okta"].calls[len(calls_before["okta"]):]
    assert [c[0] for c in resent] == [failed.kind]  # only the call that failed was sent again
    retried = next(r for r in _rows(deps) if r.id == failed.action_id)
    assert (retried.status, retried.attempts) == (ActionStatus.SUCCEEDED, 2)


def test_running_it_again_after_success_changes_nothing(world, deps):
    holding(world, "alice@acme.test", *ALICE_GRANTS)
    first = engine.run(deps, email="alice@acme.test", actor=IT)
    calls = {n: len(world.connectors[n].calls) for n in ("gh", "mem", "okta")}
    second = engine.run(deps, email="alice@acme.test", actor=IT)
    assert second.offboarding_id == first.offboarding_id and second.status == "done"
    assert {n: len(world.connectors[n].calls) for n in ("gh", "mem", "okta")} == calls
    with deps.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(Offboarding)) == 1


def test_pending_requests_are_cancelled_and_waiting_approvals_move_but_past_approvals_stay(world, deps):
    [approved_by_dana] = holding(world, "alice@acme.test", "erp:payments-create")
    waiting_on_dana = world.submit("bob@acme.test", "erp:payments-create")
    danas_own = world.submit("dana@acme.test", "erp:payments-create")

    report = engine.run(deps, email="dana@acme.test", actor=IT, reason="left")

    assert world.request(danas_own).status == RequestStatus.CANCELLED
    assert report.requests_cancelled == [danas_own] and report.approvals_rerouted == [waiting_on_dana]
    with deps.store.uow() as s:
        from bot.store.models import ApprovalStep

        step = s.scalar(select(ApprovalStep).where(ApprovalStep.request_id == waiting_on_dana))
        ivan = directory.require(s, "ivan@acme.test")
        assert step.approver_ids == [ivan.id] and step.used_fallback
    [moved] = _outbox(deps, "request.rerouted")
    assert moved["request_id"] == waiting_on_dana and moved["reason"] == "dana@acme.test is leaving"
    assert world.request(waiting_on_dana).status == RequestStatus.PENDING
    assert world.decide("ivan@acme.test", waiting_on_dana) is True  # the new approver can decide
    grant = next(g for g in world.grants_of("alice@acme.test") if g.id == approved_by_dana)
    assert grant.status == GrantStatus.ACTIVE and grant.granted_by == "dana@acme.test"


def test_overlapping_grants_on_one_target_end_with_a_single_removal(world, deps):
    member, triage = holding(world, "alice@acme.test", "github:member", "github:triage")
    report = engine.run(deps, email="alice@acme.test", actor=IT)
    gh = next(x for x in report.systems if x.system == "gh")
    removals = [i for i in gh.items if i.kind == "revoke"]
    assert sorted(i.reason for i in removals) == ["done", f"still covered by grant #{triage}"]
    assert [c for c in world.connectors["gh"].calls if c[0] == "revoke"] == [("revoke", "alice@acme.test", "gh-members")]
    assert {g.id: g.status for g in world.grants_of("alice@acme.test")} == {member: "revoked", triage: "revoked"}


def test_a_system_where_the_person_has_no_account_is_reported_not_failed(world, deps):
    holding(world, "alice@acme.test", "wiki:editor")
    world.connectors["okta"].known_accounts = {"someone.else@acme.test"}
    report = engine.run(deps, email="alice@acme.test", actor=IT)
    assert report.status == "done" and report.no_account == ["okta"]
    assert "okta" not in [x.system for x in report.systems]
    assert world.connectors["okta"].calls == []


def test_calls_are_bounded_per_system_and_systems_run_in_parallel(store, clock, tmp_path):
    from tests.offboarding.conftest import make_systems_world
    from tests.support.deps import close, deps_for

    slow = {n: {"delay_seconds": 0.05} for n in ("mem", "gh", "okta")}
    world = make_systems_world(store, clock, tmp_path, options=slow)
    refs = [f"wiki:space-{c}" for c in "abcde"] + ["wiki:editor", "github:member", "okta:apps"]
    holding(world, "alice@acme.test", *refs)
    for connector in world.connectors.values():
        connector.max_in_flight = 0
    deps = deps_for(world)
    try:
        report = engine.run(deps, email="alice@acme.test", actor=IT, per_system=2)
    finally:
        close(deps)
    assert report.status == "done"
    assert world.connectors["mem"].max_in_flight == 2  # 8 calls on mem, never more than 2 at once
    assert all(world.connectors[n].max_in_flight <= 2 for n in ("gh", "okta"))
    with store.uow() as s:
        rows = s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id == report.offboarding_id)).all()
    spans = {n: (min(r.started_at for r in rows if r.connector == n)) for n in ("mem", "gh", "okta")}
    assert len(set(spans.values())) == 1, "every system started at once (same injected clock instant)"
    assert sum(r.duration_ms for r in rows) >= 12 * 50  # sequential sum of the calls


def test_in_a_split_deployment_the_web_process_hands_the_offboarding_to_the_worker(world, deps):
    from bot.offboarding import prepare
    from bot.timers.service import TimerService
    from bot.worker import web_deps
    from bot.ledger import due

    holding(world, "alice@acme.test", *ALICE_GRANTS)
    web = web_deps(deps_for(world))
    try:
        with web.store.uow() as s:
            record_id = prepare.start(s, web.ctx(IT), person=directory.require(s, "alice@acme.test"),
                                      reason="left", source="admin").id
        assert engine.drive_later(web, [record_id]) is None
        assert {r.status for r in _rows(web)} == {ActionStatus.QUEUED}  # nothing ran in the web process
        with web.store.uow() as s:  # a resume row due now waits for the worker
            row = s.scalar(select(DueAction).where(DueAction.key == due.key_of(OffboardingKind.OFFBOARDING_RESUME, record_id)))
            assert row.status == "scheduled" and row.due_at == world.clock.now() and row.payload[engine.FIRST_DRIVE]
    finally:
        close(web)

    assert TimerService(deps).sweep_once() == 1  # the worker's timers drive it
    report = engine.current_report(deps, "alice@acme.test")
    assert report.status == "done" and not report.failed
    assert all("alice@acme.test" in world.connectors[name].suspended for name in ("gh", "mem", "okta"))
