"""What reaches the app only if Slack signed it, happens once, and cannot smuggle markup."""

from __future__ import annotations

import json
import time
import urllib.parse

from sqlalchemy import select

from bot.domain.enums import RequestStatus
from bot.slack import replays
from bot.store.models import DeliveryKey, Person
from tests.slack.harness import ALICE, DANA, SECRET, button
from tests.slack.test_decisions import submit_via_form
from tests.support.slack_driver import payloads
from tests.support.slack_driver.signing import slack_signature


def approve_click_body(bot, user: str, card) -> bytes:
    base = payloads.interaction_base("block_actions", user_id=user, user_name="x", trigger_id="t")
    action = {"type": "button", "action_id": "approve", "block_id": "decision", "value": button(card.blocks, "approve")
              ["value"], "action_ts": str(time.time()), "text": {"type": "plain_text", "text": "Approve"}}
    body = payloads.block_actions(base, container={"type": "message", "message_ts": card.ts, "channel_id":
                                                   card.channel, "is_ephemeral": False}, action=action, state={},
                                  extra={"channel": {"id": card.channel}, "message": payloads.message_json(card)})
    return urllib.parse.urlencode({"payload": json.dumps(body)}).encode()


def test_forged_and_replayed_requests_are_refused_with_401_and_change_nothing(bot):
    request_id = submit_via_form(bot, ALICE, "wiki editor", {})
    card = bot.card_for(DANA, request_id)
    raw = approve_click_body(bot, DANA, card)
    form = "application/x-www-form-urlencoded"
    assert bot.sim.signed_request(raw, form, secret="not-our-secret").status == 401
    six_minutes_ago = int(time.time()) - 360
    assert bot.sim.signed_request(raw, form, timestamp=six_minutes_ago).status == 401
    assert bot.fake.count("chat.update") == 0 and bot.request(request_id).status == RequestStatus.PENDING
    assert bot.sim.signed_request(raw, form).status == 200  # the same bytes, signed now: accepted
    bot.settle()
    assert bot.request(request_id).status == RequestStatus.APPROVED  # only the genuine one counted


def test_the_signature_covers_the_exact_bytes(bot):
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    ok = bot.sim.signed_request(body, "application/json")
    assert ok.status == 200 and ok.json == {"challenge": "c"}
    stamp = int(time.time())
    signed_for_other_bytes = slack_signature(SECRET, str(stamp), body.replace(b'"c"', b'"d"'))
    tampered = bot.sim.signed_request(body, "application/json", timestamp=stamp,
                                      headers={"X-Slack-Signature": signed_for_other_bytes})
    assert tampered.status == 401


def test_a_retried_event_is_handled_once(bot):
    first = bot.sim.open_home(ALICE)
    assert first is not None
    publishes = bot.fake.count("views.publish", user_id=ALICE)
    delivery = bot.sim.event({"type": "app_home_opened", "user": ALICE, "channel": bot.fake.dm_channel(ALICE),
                              "tab": "home"})
    bot.settle()
    assert bot.fake.count("views.publish", user_id=ALICE) == publishes + 1
    for attempt in (1, 2, 3):
        again = bot.sim.redeliver(delivery, retry_num=attempt, retry_reason="http_timeout")
        assert again.ack.status == 200
    bot.settle()
    assert bot.fake.count("views.publish", user_id=ALICE) == publishes + 1
    with bot.store.uow() as s:
        assert s.get(DeliveryKey, f"slack-event:{delivery.event_id}") is not None


def test_user_text_cannot_mention_ping_or_link_from_a_card(bot):
    evil = "<!channel> ping <@U0DANA0001> see <https://evil.example|the docs> & @here"
    request_id = submit_via_form(bot, ALICE, "wiki editor", {"justification": evil, "ticket": "<!everyone>"})
    card = bot.card_for(DANA, request_id)
    shown = json.dumps(card.blocks)
    for raw in ("<!channel>", "<https://evil.example|", "<!everyone>"):
        assert raw not in shown and raw not in card.text
    assert "&lt;!channel&gt; ping &lt;@U0DANA0001&gt; see &lt;https://evil.example|the docs&gt; &amp;" in shown
    assert "@here" not in shown  # defused with a word joiner
    with bot.store.uow() as s:
        keys = [k.key for k in s.scalars(select(DeliveryKey))]
    # interactions are not deduplicated as events: the only key is the form's own replay key (replays.py)
    assert len(keys) == 1 and keys[0].startswith(replays.PREFIX)


def test_a_hostile_directory_name_reaches_the_approver_escaped_in_text_and_blocks(bot):
    """HR/SCIM/the people file can name someone `<!channel> …`: the approver's DM (its notification text
    above all) shows it as characters, never as a broadcast, a mention or a disguised link."""
    hostile = "<!channel> <@U123> <https://evil.example|x> &amp; *bold*"
    with bot.store.uow() as s:
        alice = s.scalar(select(Person).where(Person.email == "alice@acme.test"))
        alice.name, alice.title, alice.department = hostile, hostile, hostile
    request_id = submit_via_form(bot, ALICE, "wiki editor", {"justification": hostile})
    card = bot.card_for(DANA, request_id)
    assert card.text.startswith(f"Access request #{request_id} from &lt;!channel&gt; &lt;@U123&gt; "
                                "&lt;https://evil.example|x&gt; &amp;amp; *bold*: Wiki")
    shown = json.dumps(card.blocks)
    for live in ("<!channel>", "<@U123>", "<https://evil.example"):
        assert live not in card.text and live not in shown
    assert "&lt;@U123&gt;" in shown and "&amp;amp;" in shown  # the title, department and reason, as typed


def test_a_signed_payload_of_the_wrong_shape_is_a_400_not_a_500(bot):
    """Bolt reads `payload` as an object of objects: a list, or `actions` as text, raised inside it (500)."""
    form = "application/x-www-form-urlencoded"
    shapes = [[], "text", 5, {"type": "block_actions", "actions": "x"}, {"type": "view_submission", "view": []},
              {"type": "event_callback", "event": "x"}]
    for shape in shapes:
        raw = urllib.parse.urlencode({"payload": json.dumps(shape)}).encode()
        answer = bot.sim.signed_request(raw, form)
        assert answer.status == 400 and answer.json == {"error": "not a Slack payload"}, (shape, answer)
    assert bot.fake.count("chat.postMessage") == 0
