"""Usage collection and "use it or lose it" below the front ends, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, Trigger
from bot.domain.errors import NotAuthorized
from bot.lifecycle import birthright
from bot.operations import perform
from bot.store.models import AuditEvent, Grant, UsageActivity, UsageAsk, UsageCollection
from bot.timers.service import TimerService
from bot.usage import answer, collect
from bot.usage.evaluate import evaluate
from bot.usage.timers import UsageTimer, stale_after
from bot.ledger.context import Actor
from connectors.errors import RateLimited, TransientError
from tests.support.deps import close, deps_for, due_rows
from tests.usage.conftest import holding, used


def _pass(world, deps):
    result = collect.collect(deps, "mem")
    TimerService(deps).sweep_once()  # the evaluation the complete pass scheduled
    return result


def _asked_about(world, deps, ref: str, email: str = "alice@acme.test") -> int:
    """``email`` holds ``ref`` for 60 days, last used 45 days ago; a pass asks about it. The grant id."""
    [gid] = holding(world, email, ref)
    world.advance(days=60)
    used(world, email, 45)
    _pass(world, deps)
    return gid


def _asks(world) -> list[UsageAsk]:
    with world.store.uow() as s:
        return list(s.scalars(select(UsageAsk).order_by(UsageAsk.id)))


def _audit(world, action) -> list[AuditEvent]:
    with world.store.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_a_pass_pages_into_the_ledger_and_asks_only_about_known_inactive_grants(world, deps):
    holding(world, "alice@acme.test", "salesforce:sales-cloud")
    holding(world, "bob@acme.test", "salesforce:sales-cloud")
    holding(world, "dana@acme.test", "salesforce:sales-cloud")
    holding(world, "erin@acme.test", "tableau:viewer")  # no inactivity policy: never asked
    world.advance(days=60)
    world.mem.activity_page_size = 2
    used(world, "alice@acme.test", 45)  # inactive
    used(world, "bob@acme.test", 3)  # active
    used(world, "dana@acme.test", None)  # the target cannot tell: nothing happens
    used(world, "erin@acme.test", 90)
    used(world, "stranger@elsewhere.test", 1)  # an account nobody here holds
    result = _pass(world, deps)
    assert (result.status, result.pages, result.accounts) == ("complete", 3, 5)
    with world.store.uow() as s:
        rows = {r.account_id: r for r in s.scalars(select(UsageActivity))}
        assert rows["dana@acme.test"].last_activity_at is None and rows["dana@acme.test"].person_id is not None
        assert rows["stranger@elsewhere.test"].person_id is None
        assert rows["alice@acme.test"].meaning == "app_sign_in" and rows["alice@acme.test"].read_at == world.clock.now()
    [ask] = _asks(world)
    with world.store.uow() as s:
        assert directory.require(s, "alice@acme.test").id == ask.holder_id == ask.asked_id
    assert ask.cost_cents == 15000 and ask.currency == "USD" and ask.status == "open"
    assert [r.ref_id for r in due_rows(world.store, UsageTimer.DEADLINE)] == [str(ask.id)]
    [asked] = _audit(world, "usage.asked")
    assert asked.detail["meaning"] == "app_sign_in" and asked.detail["source"] == "memory last_seen"
    _pass(world, deps)  # a second pass asks nothing new while the question is open
    assert len(_asks(world)) == 1


def test_a_failed_pass_is_stale_and_releases_nothing(world, deps):
    holding(world, "alice@acme.test", "salesforce:sales-cloud")
    used(world, "alice@acme.test", 0)
    assert _pass(world, deps).status == "complete"
    world.advance(days=60)
    used(world, "alice@acme.test", 45)  # known before the failure; a failed pass is never acted on
    world.mem.activity_failures.append(TransientError("HTTP 503 from the target"))
    assert _pass(world, deps).status == "failed"
    with world.store.uow() as s:
        assert s.get(UsageCollection, "mem").status == "failed"
        result = evaluate(s, world.ctx(), connector="mem", stale_after=stale_after(deps.settings))
    assert "failed" in result.stale and not result.asked
    assert _audit(world, "usage.collection_failed") and _audit(world, "usage.stale")
    assert "nothing is released" in _audit(world, "usage.stale")[0].detail["note"]
    assert _asks(world) == []


def test_a_throttle_pauses_until_retry_after_and_resumes_at_the_cursor(world, deps):
    for email in ("alice@acme.test", "bob@acme.test", "dana@acme.test"):
        used(world, email, 1)
    world.mem.activity_page_size = 1
    first = world.mem.last_activity
    calls = []

    def throttled_second_page(cursor=None):
        calls.append(cursor)
        if len(calls) == 2:
            raise RateLimited("429", retry_after=90)
        return first(cursor)
    world.mem.last_activity = throttled_second_page
    paused = collect.collect(deps, "mem")
    assert paused.status == "waiting" and paused.accounts == 1
    [row] = due_rows(world.store, UsageTimer.COLLECT)
    assert (row.due_at - world.clock.now()).total_seconds() == 90
    world.advance(seconds=91)
    TimerService(deps).sweep_once()
    assert calls == [None, "1", "1", "2"]  # resumed at the saved cursor, not from the start
    with world.store.uow() as s:
        state = s.get(UsageCollection, "mem")
        assert state.status == "complete" and state.accounts_read == 3


def test_birthright_grants_are_left_alone(world, deps):
    [gid] = holding(world, "alice@acme.test", "salesforce:sales-cloud")
    with world.store.uow() as s:
        s.get(Grant, gid).granted_by = birthright.PREFIX + "everyone in sales"
    world.advance(days=60)
    used(world, "alice@acme.test", 45)
    _pass(world, deps)
    assert _asks(world) == []


def test_no_answer_by_the_deadline_releases_through_the_revoke_path(world, deps):
    gid = _asked_about(world, deps, "salesforce:sales-cloud")
    assert world.holds("alice@acme.test", "sf-sales")
    world.advance(days=7, minutes=1)
    TimerService(deps).sweep_once()
    world.run()
    [ask] = _asks(world)
    assert (ask.status, ask.decided_how) == ("released", "deadline")
    assert not world.holds("alice@acme.test", "sf-sales")
    with world.store.uow() as s:
        assert s.get(Grant, gid).status == GrantStatus.REVOKED
    [released] = _audit(world, "usage.released")
    assert released.detail["monthly_saving_cents"] == 15000


def test_high_risk_asks_the_owner_and_ask_owner_hands_over_then_lapses(world, deps):
    _asked_about(world, deps, "salesforce:admin")
    [ask] = _asks(world)
    with world.store.uow() as s:
        assert ask.asked_id == directory.require(s, "olga@acme.test").id  # the owner, not the holder
    world.advance(days=3, minutes=1)
    TimerService(deps).sweep_once()
    [ask] = _asks(world)
    assert ask.status == "lapsed"  # the owner did not answer: nothing is released on silence
    assert world.holds("alice@acme.test", "sf-admin")


def test_keep_restarts_the_clock_and_only_the_asked_person_answers(world, deps):
    _asked_about(world, deps, "salesforce:sales-cloud")
    [ask] = _asks(world)

    def keep(email):
        return perform(deps, Actor(email, Trigger.SLACK), "usage.answer", lambda s, ctx: answer.keep(
            s, ctx, ask_id=ask.id, by=directory.require(s, email), reason="quarter end").status)
    with pytest.raises(NotAuthorized):
        keep("bob@acme.test")
    assert keep("alice@acme.test") == "kept"
    world.advance(days=20)
    _pass(world, deps)
    assert len(_asks(world)) == 1  # 20 days since Keep: not yet
    world.advance(days=11)
    _pass(world, deps)
    assert len(_asks(world)) == 2


def test_start_up_schedules_one_first_pass_per_target_that_can_tell_and_moves_none(world, deps):
    assert collect.schedule_collections(deps) == ["mem"]
    world.advance(hours=1)
    collect.schedule_collections(deps)  # a restart: the row stays where it was
    [row] = due_rows(world.store, UsageTimer.COLLECT)
    assert row.ref_id == "mem" and row.due_at == world.clock.now() - timedelta(hours=1)


def test_the_collection_interval_and_the_stale_window_come_from_the_settings(world):
    deps = deps_for(world, usage_collect_every_hours=6, usage_stale_after_hours=12)
    try:
        holding(world, "alice@acme.test", "salesforce:sales-cloud")
        world.advance(days=60)
        used(world, "alice@acme.test", 45)
        assert collect.collect(deps, "mem").status == "complete"
        [row] = due_rows(world.store, UsageTimer.COLLECT)
        assert row.due_at == world.clock.now() + timedelta(hours=6)
        world.advance(hours=13)  # older than the 12-hour window: stale, nobody is asked
        with world.store.uow() as s:
            result = evaluate(s, world.ctx(), connector="mem", stale_after=stale_after(deps.settings))
        assert "older than 12:00:00" in result.stale and not result.asked
    finally:
        close(deps)


def test_a_stale_window_shorter_than_the_interval_is_refused():
    from bot.settings import Settings
    with pytest.raises(ValueError, match="USAGE_STALE_AFTER_HOURS"):
        Settings(database_url="sqlite://", usage_collect_every_hours=24, usage_stale_after_hours=12)
