"""A click on Approve costs a fixed number of SQL statements (bench/slack_ack.py measures the time).

The decision reads the request's decisions once (the request row is locked, so they cannot change
under it), writes the compare-and-set version once, cancels both request timers in one statement
and appends the audit events and the outbox's domain events in one executemany each; a second SELECT of the decisions, a second UPDATE
of the version or an INSERT per audit event would make these counts grow.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from bot.directory import service as directory
from bot.domain.enums import RequestStatus, Trigger, Verdict
from bot.domain.errors import AlreadyDecided
from bot.ledger.context import Actor
from bot.operations import perform
from bot.requests.decide import decide
from bot.store.models import AuditEvent, Decision, Person
from tests.support.deps import close, deps_for

# Per dialect: the statements of perform(decide) as the Slack listener runs it. SQLite adds its
# BEGIN IMMEDIATE per transaction (two for a refusal), PostgreSQL the audit chain's advisory lock.
APPROVE = {"sqlite": 18, "postgresql": 18}
REFUSED = {"sqlite": 6, "postgresql": 5}  # read the request, refuse; then the refusal's audit event


def statements(store, work) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return seen


def test_an_approving_click_and_a_repeated_one_cost_a_fixed_number_of_statements(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    deps = deps_for(world)
    deps.runs_background_work = False  # like the web front: no runner statements among the counted ones
    with world.store.uow() as s:
        actor = Actor.person(directory.require(s, "dana@acme.test"), Trigger.SLACK)

    def click():
        perform(deps, actor, "decide", lambda s, ctx: decide(
            s, ctx, request_id=rid, approver=s.get(Person, actor.person_id),
            verdict=Verdict.APPROVE), subject=("request", rid))

    def click_again():
        with pytest.raises(AlreadyDecided):
            click()

    try:
        approving = statements(world.store, click)
        repeated = statements(world.store, click_again)
    finally:
        close(deps)
    dialect = world.store.dialect
    assert world.request(rid).status == RequestStatus.APPROVED
    with world.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1  # one decision for two clicks
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-4:] == ["request.step_approved", "grant.created", "request.approved", "refused.decide"]
    assert sum(1 for st in approving if st.lstrip().startswith("SELECT decisions.")) == 1
    assert len(approving) == APPROVE[dialect], "\n".join(approving)
    assert len(repeated) == REFUSED[dialect], "\n".join(repeated)
