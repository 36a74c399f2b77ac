"""Reading the fake back: text search across surfaces, waiting for the app, the no-surprises check."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient

from tests.fake_slack.conftest import ALICE, BOB
from tests.fake_slack.overhead import measure


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def section(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def test_find_text_searches_what_each_user_sees(fake, client):
    client.chat_postMessage(channel=ALICE, text="fallback only", blocks=section("Request *42* approved"))
    client.chat_postMessage(channel="C0APPROVAL", text="Request 43 approved")
    client.chat_postEphemeral(channel="C0APPROVAL", user=BOB, text="Not authorised for request 43")
    client.views_publish(user_id=BOB, view={"type": "home", "blocks": section("2 requests pending")})
    assert [m.ts for m in fake.find_text("request *42* APPROVED")] == [fake.dm(ALICE)[0].ts]
    assert fake.find_text("fallback only") == []  # blocks hide the fallback text
    assert {type(s).__name__ for s in fake.find_text("request 43", user=BOB)} == {"Message", "Ephemeral"}
    assert fake.find_text("request 43", user=ALICE) == []  # Alice is not in the approvals channel
    assert [v.type for v in fake.find_text("pending", surface="home")] == ["home"]
    with pytest.raises(ValueError):
        fake.find_text("x", surface="dm")


def test_wait_for_call_sees_calls_made_after_a_given_point(fake, client):
    since = fake.last_seq
    later = threading.Timer(0.05, lambda: client.chat_postMessage(channel=ALICE, text="late"))
    later.start()
    call = fake.wait_for_call("chat.postMessage", after=since, channel=ALICE, timeout=2)
    assert call.ok and call.seq > since
    with pytest.raises(AssertionError, match="no views.open call"):
        fake.wait_for_call("views.open", after=since, timeout=0.1)
    later.join()


def test_the_overhead_script_measures_every_kind_of_request():
    results = measure(rounds=3)
    assert len(results) == 5 and all(0 < value < 1000 for value in results.values())
