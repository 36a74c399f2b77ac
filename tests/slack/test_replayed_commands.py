"""A quick-path /access delivered again (Slack's retry, or the same signed bytes replayed inside the
five-minute signature window) creates no second request; typing it again does."""

from __future__ import annotations

import json
import time
import urllib.parse

from sqlalchemy import func, select

from bot.domain.enums import RequestStatus
from bot.slack import replays
from bot.store.models import AccessRequest, DeliveryKey
from tests.slack.harness import ALICE
from tests.support.slack_driver import payloads

FORM = "application/x-www-form-urlencoded"


def requests_of_alice(bot) -> list[AccessRequest]:
    with bot.store.uow() as s:
        return list(s.scalars(select(AccessRequest).order_by(AccessRequest.id)))


def signed_command(bot, user: str, text: str) -> tuple[dict, bytes]:
    channel = bot.fake.dm_channel(user)
    payload = payloads.slash_command(command="/access", text=text, user_id=user, user_name="alice",
                                     channel_id=channel, channel_name="directmessage",
                                     trigger_id=bot.fake.issue_trigger(user),
                                     response_url=bot.fake.issue_response_url(user, channel))
    return payload, urllib.parse.urlencode(payload).encode()


def answers(bot, user: str, count: int) -> list[str]:
    found = bot.fake.wait_until(lambda: bot.fake.ephemerals(user) if len(bot.fake.ephemerals(user)) >= count
                                else None, what=f"{count} answers to {user}")
    return [e.visible_text for e in found]


def test_a_retried_or_replayed_quick_command_creates_one_request(bot):
    payload, raw = signed_command(bot, ALICE, "wiki editor 1d writing the runbook")
    stamp = int(time.time())
    assert bot.sim.signed_request(raw, FORM, timestamp=stamp).status == 200
    [first] = answers(bot, ALICE, 1)
    request_id = bot.last_request_id()
    assert f"Request #{request_id} sent" in first

    retried = bot.sim.signed_request(raw, FORM, timestamp=stamp,
                                     headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    replayed = bot.sim.signed_request(raw, FORM, timestamp=stamp)  # the same bytes, no retry headers
    assert retried.status == 200 and replayed.status == 200
    later = answers(bot, ALICE, 3)[1:]
    assert later == [f"ℹ️ That `/access` was already sent: request #{request_id}. Nothing new was requested."] * 2
    bot.settle()
    [only] = requests_of_alice(bot)
    assert only.id == request_id and only.status == RequestStatus.PENDING
    with bot.store.uow() as s:  # the key lives in the database, where every replica sees it
        assert s.get(DeliveryKey, replays.command_key(payload)).note == f"request #{request_id}"
        assert s.scalar(select(func.count()).select_from(DeliveryKey)) == 1


def test_typing_the_same_command_again_is_a_new_command(bot):
    """A new invocation has a new trigger_id: it is a new request (which supersedes the first, as any
    repeated request does), not a copy."""
    for typed in (1, 2):
        bot.sim.slash(ALICE, "/access", "wiki editor 1d writing the runbook")
        answers(bot, ALICE, typed)
    bot.settle()
    first, second = requests_of_alice(bot)
    assert (first.status, second.status) == (RequestStatus.SUPERSEDED, RequestStatus.PENDING)


def test_a_replayed_request_form_submission_creates_one_request(bot):
    form = bot.open_form(ALICE, "wiki editor")
    state = bot.sim._state(form, {}, require=True)
    base = payloads.interaction_base("view_submission", user_id=ALICE, user_name="alice",
                                     trigger_id=bot.fake.issue_trigger(ALICE, form.id))
    raw = urllib.parse.urlencode({"payload": json.dumps(payloads.view_submission(base, form, state))}).encode()
    stamp = int(time.time())
    first = bot.sim.signed_request(raw, FORM, timestamp=stamp)
    request_id = bot.last_request_id()
    assert f"Request #{request_id} sent" in json.dumps(first.json["view"])
    again = bot.sim.signed_request(raw, FORM, timestamp=stamp)
    assert f"already sent: request #{request_id}" in json.dumps(again.json["view"])
    bot.settle()
    assert [r.id for r in requests_of_alice(bot)] == [request_id]
