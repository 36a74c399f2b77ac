"""The engine's database work stays on one desk (the caller's thread); lane workers only call the
connectors, so a lane's next call never waits for a claim or an outcome transaction (issue 17.4)."""

from __future__ import annotations

import threading

from sqlalchemy import event, select

from bot.directory import service as directory
from bot.domain.enums import ActionKind, ActionStatus, GrantStatus, Trigger
from bot.ledger import grants
from bot.ledger.context import Actor
from bot.offboarding import engine, prepare
from bot.offboarding import report as reports
from bot.store.models import AuditEvent, Grant, Offboarding, OutboxEvent, ProvisioningAction
from tests.offboarding.conftest import holding, make_systems_world
from tests.support.deps import close, deps_for

IT = Actor("ivan@acme.test", Trigger.CLI)
WIKI = [f"wiki:space-{c}" for c in "abcde"] + ["wiki:editor"]


def test_claims_and_outcomes_are_written_by_the_desk_and_calls_made_by_lane_workers(store, clock, tmp_path):
    world = make_systems_world(store, clock, tmp_path)
    holding(world, "alice@acme.test", *WIKI, "github:member", "okta:apps")
    deps = deps_for(world)
    where: dict[str, set[str]] = {"claim": set(), "record": set(), "call": set()}
    claimed: list[int] = []
    runner = deps.runner
    claim, record, attempt = runner.claim, runner.record, runner.attempt

    def claiming(*args, **kwargs):
        where["claim"].add(threading.current_thread().name)
        calls = claim(*args, **kwargs)
        claimed.append(len(calls))
        return calls

    def recording(attempts):
        where["record"].add(threading.current_thread().name)
        return record(attempts)

    def calling(call):
        where["call"].add(threading.current_thread().name)
        return attempt(call)

    runner.claim, runner.record, runner.attempt = claiming, recording, calling
    try:
        report = engine.run(deps, email="alice@acme.test", actor=IT, per_system=2)
    finally:
        close(deps)
    assert report.status == "done"
    assert where["claim"] == where["record"] == {threading.current_thread().name}
    assert where["call"] and all(name.startswith("offboard-") for name in where["call"])
    calls = sum(claimed)
    assert calls == 14  # 8 on the wiki system, 2 on each other one, plus suspend and end sessions per system
    assert len(claimed) < calls / 2, "claimed a lane's next rounds together, not a call at a time"


def test_a_row_that_cannot_be_claimed_is_not_called_and_the_rest_of_the_lane_runs(world, deps):
    holding(world, "alice@acme.test", "github:member", "okta:apps")
    world.clock.advance(seconds=1)
    with deps.store.uow() as s:
        person = directory.require(s, "alice@acme.test")
        record_id = prepare.start(s, deps.ctx(IT), person=person).id
        revoke = s.scalar(select(ProvisioningAction).where(ProvisioningAction.offboarding_id == record_id,
                                                           ProvisioningAction.connector == "gh"))
        # The grant's own earlier call is still waiting for the target: its revoke waits for it.
        earlier = s.scalar(select(ProvisioningAction).where(ProvisioningAction.grant_id == revoke.grant_id,
                                                            ProvisioningAction.action == ActionKind.GRANT))
        earlier.status = ActionStatus.PENDING_EXTERNAL
        revoke_id = revoke.id
    for connector in world.connectors.values():
        connector.calls.clear()
    report = engine.drive(deps, [record_id], settle_seconds=0)[0]
    assert [kind for kind, _, _ in world.connectors["gh"].calls] == ["suspend"]  # (sessions are not listed)
    assert [kind for kind, _, _ in world.connectors["okta"].calls] == ["suspend", "revoke"]
    with deps.store.uow() as s:
        assert s.get(ProvisioningAction, revoke_id).status == ActionStatus.QUEUED
    assert report.status == "waiting"


def test_several_leavers_are_driven_together_and_each_gets_its_own_report(world, deps):
    holding(world, "alice@acme.test", "github:member", "wiki:editor")
    holding(world, "bob@acme.test", "okta:apps")
    ids = engine.start_many(deps, emails=["bob@acme.test", "alice@acme.test"], actor=IT)
    finished = engine.drive(deps, ids)
    assert [r.offboarding_id for r in finished] == ids
    assert [r.person_email for r in finished] == ["bob@acme.test", "alice@acme.test"]
    assert all(r.status == "done" for r in finished)
    with deps.store.uow() as s:
        records = {r.id: r for r in s.scalars(select(Offboarding).where(Offboarding.id.in_(ids)))}
        announced = [e.payload["offboarding_id"] for e in s.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "offboarding.finished"))]
        assert sorted(announced) == sorted(ids)
        for report in finished:
            stored = records[report.offboarding_id].report
            assert stored["systems"] == report.as_dict()["systems"]
            alone = reports.build(s, records[report.offboarding_id])
            together = reports.build_many(s, list(records.values()))[report.offboarding_id]
            assert alone == together


def test_preparing_ends_every_grant_with_the_same_statements_however_many_there_are(store, clock, tmp_path):
    world = make_systems_world(store, clock, tmp_path)
    holding(world, "alice@acme.test", "github:member")
    holding(world, "bob@acme.test", *WIKI, "github:member", "okta:apps")
    deps = deps_for(world)
    try:
        counts = {email: _prepare_statements(deps, email) for email in ("alice@acme.test", "bob@acme.test")}
    finally:
        close(deps)
    assert counts["alice@acme.test"] == counts["bob@acme.test"]


def test_a_scheduled_grant_among_a_leavers_grants_is_cancelled_and_the_live_ones_revoked(world, deps):
    holding(world, "alice@acme.test", "github:member")
    ctx = deps.ctx(Actor.system("test"))
    with deps.store.uow() as s:
        person = directory.require(s, "alice@acme.test")
        later = grants.create(s, ctx, person=person, entitlement=deps.catalog.entitlement("okta:apps"), duration=None,
                              starts_at=ctx.now + _minutes(60), request=None, granted_by="test")
        later_id = later.id
    report = engine.run(deps, email="alice@acme.test", actor=IT, reason="left the company")
    assert report.status == "done"
    with deps.store.uow() as s:
        assert s.get(Grant, later_id).status == GrantStatus.REVOKED
        rows = s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id == report.offboarding_id,
                                                          ProvisioningAction.action == ActionKind.REVOKE)).all()
        assert [(r.entitlement, r.status) for r in rows] == [("github:member", ActionStatus.SUCCEEDED)]
        notes = [e.detail.get("note") for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "grant.ending"))]
        assert notes == ["left the company"]


def _prepare_statements(deps, email: str) -> int:
    """Statements of ``prepare.start`` other than the inserts of its audit events and revoke rows."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS") and \
                not statement.lstrip().upper().startswith("INSERT INTO PROVISIONING_ACTIONS"):
            statements.append(statement)

    event.listen(deps.store.engine, "before_cursor_execute", count)
    try:
        with deps.store.uow() as s:
            prepare.start(s, deps.ctx(IT), person=directory.require(s, email))
    finally:
        event.remove(deps.store.engine, "before_cursor_execute", count)
    return len(statements)


def _minutes(n: int):
    from datetime import timedelta
    return timedelta(minutes=n)


class _Row:
    def __init__(self, id_):
        self.id, self.offboarding_id = id_, 1


class _Runner:
    """Claims every row but ``refused``; an attempt is the call itself (no database)."""

    def __init__(self, refused=()):
        self.refused, self.called, self.recorded = set(refused), [], []

    def claim(self, limit, only):
        return [type("Call", (), {"action_id": i})() for i in only if i not in self.refused][:limit]

    def attempt(self, call):
        self.called.append(call.action_id)
        return type("Attempt", (), {"call": call})()

    def record(self, attempts):
        self.recorded += [a.call.action_id for a in attempts]
        return attempts


def test_every_claimed_call_runs_once_and_its_outcome_is_recorded_before_it_counts_as_settled():
    from bot.offboarding.calls import CallDesk

    runner = _Runner(refused={"b3"})
    lanes = {"a": [[_Row(f"a{i}")] for i in range(9)], "b": [[_Row("b0"), _Row("b1")]] + [[_Row(f"b{i}")]
                                                                                        for i in range(2, 6)]}
    settled, missed = [], []
    CallDesk(runner, lanes, 2, settled=lambda rows: settled.extend(r.id for r in rows),
             not_claimed=lambda rows: missed.extend(r.id for r in rows)).run()
    everything = {f"a{i}" for i in range(9)} | {f"b{i}" for i in range(6)}
    assert sorted(runner.called) == sorted(everything - {"b3"})  # each once
    assert sorted(settled) == sorted(runner.recorded) == sorted(runner.called)
    assert missed == ["b3"]
    assert runner.called.index("b0") < runner.called.index("b1")  # a job's rows in order


def test_when_the_desk_fails_the_workers_stop_instead_of_waiting_for_it():
    import pytest

    from bot.offboarding.calls import CallDesk

    def broken(rows):
        raise RuntimeError("database gone")

    runner = _Runner(refused={"a8"})  # not in the first claim: the desk fails while the workers run
    lanes = {"a": [[_Row(f"a{i}")] for i in range(20)]}
    with pytest.raises(RuntimeError):
        CallDesk(runner, lanes, 2, settled=lambda rows: None, not_claimed=broken).run()
    assert "a0" in runner.called and "a8" not in runner.called and len(runner.called) < 19


def test_a_batch_of_outcomes_reads_its_offboardings_statuses_once_not_once_per_outcome(store, clock, tmp_path):
    world = make_systems_world(store, clock, tmp_path)
    holding(world, "alice@acme.test", *WIKI, "github:member", "okta:apps")
    deps = deps_for(world)
    reads: list[str] = []
    records: list[int] = []
    record = deps.runner.record

    def recording(attempts):
        records.append(len(attempts))
        return record(attempts)

    def statement(conn, cursor, sql, *args):
        if "FROM offboardings" in sql and "offboardings.status" in sql and "FOR UPDATE" not in sql:
            reads.append(" ".join(sql.split()))

    deps.runner.record = recording
    event.listen(deps.store.engine, "before_cursor_execute", statement)
    try:
        report = engine.run(deps, email="alice@acme.test", actor=IT, per_system=2)
    finally:
        event.remove(deps.store.engine, "before_cursor_execute", statement)
        close(deps)
    assert report.status == "done"
    assert sum(records) == 14
    status_reads = [sql for sql in reads if sql.startswith(
        ("SELECT offboardings.status FROM", "SELECT offboardings.id, offboardings.status FROM"))]
    assert 0 < len(status_reads) <= len(records), "at most one status read per outcome transaction"


def test_run_many_starts_calls_before_the_last_leaver_is_prepared_and_reports_each(world, deps, monkeypatch):
    for name in ("alice", "bob", "dana"):
        holding(world, f"{name}@acme.test", "github:member", "okta:apps")
    order: list[str] = []
    start, attempt = prepare.start, deps.runner.attempt

    def preparing(s, ctx, *, person, **kwargs):
        order.append(f"prepare {person.email}")
        return start(s, ctx, person=person, **kwargs)

    def calling(call):
        order.append("call")
        return attempt(call)

    monkeypatch.setattr(prepare, "start", preparing)
    deps.runner.attempt = calling
    emails = ["alice@acme.test", "bob@acme.test", "dana@acme.test"]
    finished = engine.run_many(deps, emails=emails, actor=IT, group=1)
    assert [r.person_email for r in finished] == emails
    assert all(r.status == "done" for r in finished)
    assert order.index("call") < order.index("prepare dana@acme.test"), order
    with deps.store.uow() as s:
        actions = list(s.scalars(select(ProvisioningAction).where(
            ProvisioningAction.offboarding_id.in_([r.offboarding_id for r in finished]))))
        assert actions and all(a.status == ActionStatus.SUCCEEDED for a in actions)
        assert len({(a.offboarding_id, a.connector, a.action, a.grant_id) for a in actions}) == len(actions)
