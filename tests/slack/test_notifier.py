"""The outbox → Slack notifier: each copy posted once across replicas, failures retried, never lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.settings import Settings
from bot.slack import outbox
from bot.slack.delivery import Pacer
from bot.slack.runtime import SlackRuntime, build_runtime
from bot.store.models import OutboxEvent
from tests.slack.harness import ALICE, APPROVALS_CHANNEL, DANA, P1, P2, P3, SECRET, seed_slack_users
from tests.support.fake_slack import FakeSlack, Outcome
from tests.support.world import World, make_world
from tests.slack.harness import CATALOG


@contextmanager
def replicas(store, clock, tmp_path, count: int = 1) -> Iterator[tuple[World, FakeSlack, list[SlackRuntime]]]:
    """Runtimes that are not started: tests call notifier.drain() themselves."""
    with FakeSlack.start() as fake:
        seed_slack_users(fake)
        world = make_world(store, clock, tmp_path, CATALOG)
        settings = Settings(slack_api_url=fake.api_url, slack_bot_token=fake.bot_token, slack_signing_secret=SECRET)
        runtimes = []
        for _ in range(count):
            deps = Deps(settings, store, world.catalog, world.connectors, clock)
            runtimes.append(build_runtime(settings, deps, pacer=Pacer(burst=100)))
        yield world, fake, runtimes


def dm_cards(fake: FakeSlack, user: str) -> list:
    return [m for m in fake.dm(user) if "Access request #" in m.visible_text]


def test_two_replicas_draining_at_once_post_every_copy_exactly_once(store, clock, tmp_path):
    with replicas(store, clock, tmp_path, count=2) as (world, fake, runtimes):
        ids = [world.submit(email, "aws-prod:admin", justification="incident") for email in
               ("alice@acme.test", "bob@acme.test", "dana@acme.test", "erin@acme.test", "olga@acme.test")]
        barrier = threading.Barrier(2)

        def drain(runtime):
            barrier.wait()
            runtime.notifier.drain()

        threads = [threading.Thread(target=drain, args=(r,)) for r in runtimes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for approver in (P1, P2, P3):
            assert len(dm_cards(fake, approver)) == len(ids)
        assert fake.count("chat.postMessage") == len(ids) * 4  # three approvers and the requester
        with store.uow() as s:
            assert all(e.dispatched_at for e in s.scalars(select(OutboxEvent)))
        fake.assert_no_unexpected_errors()


def test_a_slack_outage_is_retried_later_without_duplicates(store, clock, tmp_path):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        request_id = world.submit("alice@acme.test", "wiki:editor")
        fake.inject("chat.postMessage", Outcome.server_error(503), Outcome.server_error(503))
        runtime.notifier.drain()
        with store.uow() as s:
            event = s.scalars(select(OutboxEvent)).one()
            assert event.dispatched_at is None and event.attempts == 1
            assert "service_unavailable (HTTP 503) to chat.postMessage" in event.last_error
        assert dm_cards(fake, DANA) == []
        runtime.notifier.drain()
        assert dm_cards(fake, DANA) == []  # not before its backoff
        clock.advance(outbox.backoff(1) + timedelta(seconds=1))
        runtime.notifier.drain()
        assert len(dm_cards(fake, DANA)) == 1 and f"#{request_id}" in dm_cards(fake, DANA)[0].visible_text
        world.decide("dana@acme.test", request_id)
        runtime.notifier.drain()
        assert len(dm_cards(fake, DANA)) == 1 and "Approved by" in dm_cards(fake, DANA)[0].visible_text
        with store.uow() as s:
            assert all(e.dispatched_at for e in s.scalars(select(OutboxEvent)))


def test_a_rate_limit_is_waited_out_by_the_client(store, clock, tmp_path):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        world.submit("alice@acme.test", "wiki:editor")
        fake.inject("chat.postMessage", Outcome.rate_limited(retry_after=1))
        runtime.notifier.drain()
        assert len(dm_cards(fake, DANA)) == 1 and fake.count("chat.postMessage") >= 2


def test_one_recipient_slack_cannot_reach_does_not_block_the_others(store, clock, tmp_path):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        fake.deactivate_user(P2)
        world.submit("alice@acme.test", "aws-prod:admin", justification="incident")
        runtime.notifier.drain()
        assert len(dm_cards(fake, P1)) == 1 and len(dm_cards(fake, P3)) == 1 and fake.dm(P2) == []
        with store.uow() as s:
            assert s.scalars(select(OutboxEvent)).one().dispatched_at is not None


def test_an_archived_approvals_channel_is_reported_not_retried_forever(store, clock, tmp_path, caplog):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        fake.inject("chat.postMessage", Outcome.error("is_archived"))
        world.submit("alice@acme.test", "prod-db:write", justification="fix", ticket="INC-1")
        runtime.notifier.drain()
        assert fake.messages_in(APPROVALS_CHANNEL) == []
        assert "is_archived" in caplog.text
        with store.uow() as s:
            assert s.scalars(select(OutboxEvent)).one().dispatched_at is not None


def test_an_event_no_slack_handler_knows_is_marked_and_skipped(store, clock, tmp_path):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        with store.uow() as s:
            s.add(OutboxEvent(type="something.new", payload={"x": 1}, created_at=clock.now()))
        assert runtime.notifier.drain() == 1
        with store.uow() as s:
            event = s.scalars(select(OutboxEvent)).one()
            assert event.dispatched_at is not None and "no Slack handler" in event.last_error


def test_events_of_one_request_wait_for_the_earlier_ones(store, clock, tmp_path):
    with replicas(store, clock, tmp_path) as (world, fake, [runtime]):
        request_id = world.submit("alice@acme.test", "wiki:editor")
        fake.inject("conversations.open", Outcome.server_error(503), Outcome.server_error(503))
        runtime.notifier.drain()  # the card cannot be posted yet
        world.decide("dana@acme.test", request_id)
        runtime.notifier.drain()
        with store.uow() as s:
            events = s.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
            assert events[0].dispatched_at is None and events[0].attempts == 1
            assert len(events) > 1 and all(e.attempts == 0 for e in events[1:])  # never updated before posted
        clock.advance(minutes=1)
        runtime.notifier.drain()
        # Decided meanwhile (through the API): nobody gets a card with stale buttons, Alice hears once.
        assert dm_cards(fake, DANA) == []
        assert len([m for m in fake.dm(ALICE) if "was approved by" in m.visible_text]) == 1
        with store.uow() as s:
            assert all(e.dispatched_at for e in s.scalars(select(OutboxEvent)))
