"""The App Home costs a fixed number of SQL statements, however many grants and approvals it shows.

bench/scale_home.py measures the time on a 10,000-person database; this test pins the shape: a
statement per grant or per approval (a lazy load, a lookup in a loop) would make the count grow.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import event

from bot.directory import service as directory
from bot.slack.home import HomePublisher
from bot.store.models import AccessRequest, ApprovalStep, ApprovalStepApprover, Grant
from tests.support.deps import close, deps_for
from tests.support.fake_slack import BOT_TOKEN, FakeSlack

REFS = ["github:member", "github:admin", "aws-prod:admin", "aws-prod:readonly", "wiki:editor", "erp:payments-create"]
MOST_STATEMENTS = 8  # person, grants, requests, approvals, their votes, open reviews (+ BEGIN on SQLite)


def add_access(world, *, grants: int, approvals: int) -> None:
    """Dana holds ``grants`` grants and ``approvals`` requests from Alice wait on her."""
    now = world.clock.now()
    with world.store.uow() as s:
        dana, alice = directory.require(s, "dana@acme.test"), directory.require(s, "alice@acme.test")
        for n in range(grants):
            ref = REFS[n % len(REFS)]
            s.add(Grant(person_id=dana.id, entitlement=ref, connector="mem", target=ref, status="active",
                        starts_at=now, ends_at=now + timedelta(hours=1 + n), activated_at=now, granted_by="test",
                        created_at=now))
        for n in range(approvals):
            request = AccessRequest(requester_id=alice.id, entitlement=REFS[n % len(REFS)], status="pending",
                                    trigger="slack", created_at=now, duration_seconds=3600)
            s.add(request)
            s.flush()
            step = ApprovalStep(request_id=request.id, position=0, kind="manager", approver_ids=[dana.id],
                                status="active", activated_at=now)
            s.add(step)
            s.flush()
            s.add(ApprovalStepApprover(step_id=step.id, person_id=dana.id))


def statements_for_one_publish(world, publisher: HomePublisher, person_id: int) -> int:
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(world.store.engine, "before_cursor_execute", count)
    try:
        assert publisher.publish(person_id) is True
    finally:
        event.remove(world.store.engine, "before_cursor_execute", count)
    return len(seen)


def test_home_statement_count_does_not_grow_with_grants_or_approvals(world):
    with world.store.uow() as s:
        dana = directory.require(s, "dana@acme.test")
        dana.slack_user_id, dana_id = "U0DANA", dana.id
    deps = deps_for(world)
    fake = FakeSlack.start()
    try:
        fake.add_user("U0DANA", "dana@acme.test", "dana")
        publisher = HomePublisher(deps, WebClient(token=BOT_TOKEN, base_url=fake.api_url))
        add_access(world, grants=3, approvals=2)
        few = statements_for_one_publish(world, publisher, dana_id)
        add_access(world, grants=60, approvals=30)
        many = statements_for_one_publish(world, publisher, dana_id)
        home = fake.home("U0DANA").visible_text
    finally:
        fake.stop()
        close(deps)
    assert "Your access (63)" in home and "Waiting for your approval (32)" in home
    assert many == few
    assert few <= MOST_STATEMENTS
