"""response_url: ephemeral answers, replacing or deleting the original, 5 uses within 30 minutes."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from tests.fake_slack.conftest import ALICE, BOB
from tests.support.fake_slack import FakeSlack

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "Request 42: pending"}}]


@pytest.fixture
def fake(clocked_fake: FakeSlack) -> FakeSlack:
    return clocked_fake


@pytest.fixture
def card(fake) -> tuple[str, str]:
    posted = WebClient(token=fake.bot_token, base_url=fake.api_url).chat_postMessage(
        channel="C0APPROVAL", text="Request 42", blocks=CARD)
    return posted["channel"], posted["ts"]


def test_a_plain_response_is_an_ephemeral_to_the_clicker(fake, card):
    url = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    answer = WebhookClient(url).send(text="Recorded.")
    assert answer.status_code == 200
    assert [(e.text, e.source) for e in fake.ephemerals(BOB)] == [("Recorded.", "response_url")]
    assert fake.message(*card).text == "Request 42"  # the original is untouched


def test_replace_original_rewrites_the_card_and_in_channel_posts_a_new_message(fake, card):
    url = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    done = [{"type": "section", "text": {"type": "mrkdwn", "text": "Request 42: ✅ approved"}}]
    WebhookClient(url).send(text="Approved", blocks=done, replace_original=True)
    replaced = fake.message(*card)
    assert "✅ approved" in replaced.visible_text and replaced.revisions == 1
    WebhookClient(url).send(text="Everyone: 42 is approved", response_type="in_channel")
    assert [m.text for m in fake.messages_in(card[0])] == ["Approved", "Everyone: 42 is approved"]


def test_delete_original_removes_the_message(fake, card):
    url = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    assert WebhookClient(url).send(delete_original=True).status_code == 200
    assert fake.messages_in(card[0]) == [] and fake.message(*card).deleted


def test_a_command_reply_can_be_replaced_through_its_response_url(fake):
    channel = fake.dm_channel(ALICE)
    url = fake.issue_response_url(ALICE, channel)
    fake.show_command_reply(ALICE, channel, url, {"text": "Working…"})
    WebhookClient(url).send(text="Done: request 42 submitted", replace_original=True)
    assert [e.text for e in fake.ephemerals(ALICE)] == ["Done: request 42 submitted"]


def test_five_uses_then_used_url_and_expiry_after_thirty_minutes(fake, card, clock):
    url = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    statuses = [WebhookClient(url).send(text=f"note {i}").status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert fake.calls("response_url")[-1].error == "used_url" and len(fake.ephemerals(BOB)) == 5
    fresh = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    clock.advance(minutes=31)
    assert WebhookClient(fresh).send(text="late").status_code == 404
    assert fake.calls("response_url")[-1].error == "expired_url"


def test_invalid_blocks_are_refused(fake, card):
    url = fake.issue_response_url(BOB, card[0], source_ts=card[1])
    answer = WebhookClient(url).send(text="x", blocks=[{"type": "sectoin"}])
    assert answer.status_code == 400 and fake.calls("response_url")[-1].error == "invalid_blocks"
    assert fake.ephemerals(BOB) == []
