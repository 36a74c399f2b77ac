"""Forced outcomes: rate limits, error codes, outages and delays, as slack_sdk's retry handlers see them."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler  # not re-exported by http_retry

from tests.fake_slack.conftest import ALICE
from tests.support.fake_slack import Outcome


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def test_a_429_is_retried_transparently_by_the_rate_limit_handler(fake, client):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    # Retry-After 0 keeps the test fast; the handler sleeps int(header) + random() < 1 s.
    fake.inject("chat.postMessage", Outcome.rate_limited(retry_after=0))
    posted = client.chat_postMessage(channel=ALICE, text="after the limit")
    attempts = fake.calls("chat.postMessage")
    assert [(c.status, c.injected) for c in attempts] == [(429, True), (200, False)]
    assert posted["ok"] and [m.text for m in fake.dm(ALICE)] == ["after the limit"]


def test_without_the_handler_a_429_reaches_the_caller_with_retry_after(fake, client):
    fake.inject("chat.postMessage", Outcome.rate_limited(retry_after=7))
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=ALICE, text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert caught.value.response["error"] == "ratelimited"
    assert fake.dm(ALICE) == []


def test_retry_after_must_be_whole_seconds():
    with pytest.raises(ValueError):
        Outcome.rate_limited(retry_after=1.5)


def test_forced_error_codes_are_answered_once_in_order_with_http_200(fake, client):
    fake.inject("users.info", Outcome.error("user_not_visible"), Outcome.error("fatal_error", detail="boom"))
    for code in ("user_not_visible", "fatal_error"):
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user=ALICE)
        assert caught.value.response.status_code == 200 and caught.value.response["error"] == code
    assert client.users_info(user=ALICE)["user"]["id"] == ALICE  # the queue is used up
    assert fake.pending_outcomes("users.info") == 0
    fake.assert_no_unexpected_errors()  # injected failures are expected by definition


def test_a_server_error_is_retried_by_the_server_error_handler(fake, client):
    quick = FixedValueRetryIntervalCalculator(0.05)  # (its keyword is misspelt "fixed_internal")
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1, interval_calculator=quick))
    fake.inject("conversations.open", Outcome.server_error(503))
    assert client.conversations_open(users=ALICE)["channel"]["id"].startswith("D")
    assert [c.status for c in fake.calls("conversations.open")] == [503, 200]


def test_a_delay_slows_the_call_and_then_runs_it(fake, client):
    fake.inject("auth.test", Outcome.delayed(0.3))
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.3


def test_injecting_into_an_unknown_method_is_a_test_bug(fake):
    with pytest.raises(ValueError, match="unknown Web API method"):
        fake.inject("chat.postMesage", Outcome.error("x"))
