"""A real Bolt app behind uvicorn, driven by SlackSim over signed HTTP, calling the fake over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.fake_slack.conftest import ALICE, BOB
from tests.fake_slack.demo_app import APPROVER, SIGNING_SECRET, build_bolt_app, build_http_app
from tests.support.fake_slack import FakeSlack
from tests.support.live_server import serve_asgi
from tests.support.slack_sim import SlackSim


@pytest.fixture
def sim(fake: FakeSlack) -> Iterator[SlackSim]:
    bolt = build_bolt_app(fake)  # App() calls auth.test on the running fake
    with serve_asgi(build_http_app(bolt)) as url:
        yield SlackSim(url, fake, SIGNING_SECRET)


def open_request_modal(sim: SlackSim, fake: FakeSlack, text: str = "") -> str:
    ack = sim.slash(ALICE, "/access", text)
    assert ack.status == 200 and ack.json["text"] == "Opening the request form…"
    fake.wait_for_call("views.open", ok=True)
    return fake.modal_stack(ALICE)[-1].id


def test_slash_command_opens_the_modal_and_shows_the_ack_as_an_ephemeral(sim, fake):
    view_id = open_request_modal(sim, fake, "github")
    modal = fake.view(view_id)
    assert modal.callback_id == "request_access"
    assert modal.blocks[0]["element"]["initial_option"]["value"] == "github"
    assert [e.text for e in fake.ephemerals(ALICE)] == ["Opening the request form…"]
    assert fake.calls("auth.test") and fake.count("views.open") == 1
    assert sim.ack_latencies and max(sim.ack_latencies) < 3


def test_request_is_refused_inline_then_submitted_and_approved_once(sim, fake):
    view_id = open_request_modal(sim, fake)
    assert [o["value"] for o in sim.suggest(ALICE, view_id, "app_picker", "git")] == ["github", "gitlab"]

    short = sim.submit(ALICE, view_id, {"app": "github", "reason": "pls"})
    assert short.response_action == "errors" and set(short.errors) == {"reason"}
    assert short.top is not None and short.top.id == view_id  # the modal stays open with the error

    done = sim.submit(ALICE, view_id, {"app": "github", "reason": "on call this week"})
    assert done.response_action is None and done.top is None and fake.modal_stack(ALICE) == []
    fake.wait_for_call("chat.postMessage", ok=True)
    card = fake.dm(APPROVER)[-1]
    assert "asks for *GitHub*: on call this week" in card.visible_text

    sim.click(APPROVER, on=card.ref, action_id="approve")
    fake.wait_until(lambda: fake.ephemerals(APPROVER), what="approval ephemeral")
    updated = fake.message(*card.ref)
    assert "Approved by <@U0APPROVER>" in updated.visible_text and updated.revisions == 1
    assert fake.ephemerals(APPROVER)[-1].text == "Recorded your approval."
    with pytest.raises(AssertionError, match="was never rendered"):
        sim.click(APPROVER, on=card.ref, action_id="approve")  # the buttons are gone from the card
    assert fake.count("chat.update") == 1


def test_a_stale_copy_can_still_be_clicked_as_in_a_race(sim, fake):
    fake.add_user("U0OTHER001", "other@example.com", "other")
    view_id = open_request_modal(sim, fake)
    sim.submit(ALICE, view_id, {"app": "okta", "reason": "new hire onboarding"})
    fake.wait_for_call("chat.postMessage", ok=True)
    before = fake.dm(APPROVER)[-1]  # what the approver saw before anyone clicked
    sim.click(APPROVER, on=before.ref, action_id="approve")
    fake.wait_for_call("chat.update", ok=True)
    sim.click(APPROVER, on=before, action_id="approve")  # pressing the stale rendering again
    fake.wait_until(lambda: fake.count("chat.update") == 2, what="second chat.update")


def test_home_tab_is_published_and_its_button_opens_a_modal(sim, fake):
    home = sim.open_home(BOB)
    assert "Hello <@U0BOB00001>" in home.visible_text
    sim.click(BOB, on="home", action_id="home_request", text="Request access")
    fake.wait_for_call("views.open", ok=True)
    assert fake.modal_stack(BOB)[-1].callback_id == "request_access"


def test_redelivered_event_carries_the_same_event_id_and_retry_headers(sim, fake):
    first = sim.event({"type": "app_home_opened", "user": BOB, "channel": fake.dm_channel(BOB), "tab": "home"})
    again = sim.redeliver(first, retry_num=1, retry_reason="http_timeout")
    assert first.ack.status == again.ack.status == 200
    assert again.envelope["event_id"] == first.event_id
    fake.wait_until(lambda: fake.count("views.publish") == 2, what="both deliveries handled (no dedupe here)")


def test_bad_signature_and_stale_timestamp_are_refused_with_401(sim, fake):
    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    assert sim.signed_request(body, "application/json").json == {"challenge": "abc"}
    assert sim.signed_request(body, "application/json", secret="not-the-secret").status == 401
    six_minutes_ago = int(fake.now()) - 360
    assert sim.signed_request(body, "application/json", timestamp=six_minutes_ago).status == 401
