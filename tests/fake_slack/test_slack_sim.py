"""SlackSim itself: signatures, payload shapes, typed state, and what it refuses to do on a user's behalf."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.domain.clock import ManualClock
from tests.fake_slack.conftest import ALICE, BOB
from tests.support.fake_slack import DEFAULT_MANIFEST, FakeSlack
from tests.support.slack_sim import SlackSim

SECRET = "test-signing-secret"


@dataclass
class RecordingApp:
    """Stands in for the bot: keeps every request as received and answers what the test queued."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    delay: float = 0.0

    def asgi(self) -> Starlette:
        async def events(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            time.sleep(self.delay)  # blocks on purpose: a slow bot
            answer = self.answers.pop(0) if self.answers else None
            return JSONResponse(answer) if answer is not None else Response(status_code=200)

        return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])

    def last_payload(self) -> dict[str, Any]:
        headers, body = self.requests[-1]
        if headers["content-type"] == "application/json":
            return json.loads(body)
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        return json.loads(form["payload"]) if "payload" in form else form


@pytest.fixture
def app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def sim(app, fake) -> SlackSim:
    return SlackSim(TestClient(app.asgi()), fake, SECRET)


def open_modal(fake, user: str, *blocks: dict, **extra: Any) -> str:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": list(blocks),
            "submit": {"type": "plain_text", "text": "Send"}, **extra}
    return client.views_open(trigger_id=fake.issue_trigger(user), view=view)["view"]["id"]


def input_block(block_id: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": block_id}, "element": {"action_id": "v", **element}}


def options(*values: str) -> list[dict]:
    return [{"text": {"type": "plain_text", "text": v.title()}, "value": v} for v in values]


def test_every_request_is_signed_over_its_exact_bytes(sim, app, fake):
    sim.slash(ALICE, "/access", "github admin 2h")
    sim.event({"type": "app_home_opened", "user": ALICE, "channel": fake.dm_channel(ALICE), "tab": "home"})
    verifier = SignatureVerifier(SECRET)
    for headers, body in app.requests:
        assert verifier.is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    slash = parse_qs(app.requests[0][1].decode())
    assert slash["command"] == ["/access"] and slash["text"] == ["github admin 2h"]
    assert slash["trigger_id"][0] and slash["response_url"][0].startswith(fake.url + "/response_url/")
    assert app.last_payload()["event"]["type"] == "app_home_opened"


def test_an_injected_clock_sets_the_timestamp(app, fake):
    clock = ManualClock()
    SlackSim(TestClient(app.asgi()), fake, SECRET, clock=clock).slash(ALICE, "/access")
    assert app.requests[0][0]["x-slack-request-timestamp"] == str(int(clock.now().timestamp()))


def test_slash_commands_must_be_in_the_manifest_and_mentions_are_escaped(sim, app):
    with pytest.raises(AssertionError, match="not in manifest.yml"):
        sim.slash(ALICE, "/acess")
    sim.slash(ALICE, "/offboard", "@bob & #access-approvals")
    assert app.last_payload()["text"] == "<@U0BOB00001|bob> &amp; <#C0APPROVAL|access-approvals>"
    sim.slash(ALICE, "/access", "@bob")  # should_escape: false leaves names as typed
    assert app.last_payload()["text"] == "@bob"


def test_a_slow_ack_fails_the_test(app, fake):
    app.delay = 0.2
    slow = SlackSim(TestClient(app.asgi()), fake, SECRET, ack_deadline=0.1)
    with pytest.raises(AssertionError, match="to ack a slash_commands request"):
        slow.slash(ALICE, "/access")


def test_only_rendered_elements_can_be_clicked_and_only_by_who_sees_them(sim, app, fake):
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    card = client.chat_postMessage(channel=ALICE, text="card", blocks=[{"type": "actions", "elements": [
        {"type": "button", "action_id": "pick", "value": "1", "text": {"type": "plain_text", "text": "One"}},
        {"type": "button", "action_id": "pick_2", "value": "2", "text": {"type": "plain_text", "text": "Two"}}]}])
    ref = (card["channel"], card["ts"])
    with pytest.raises(AssertionError, match="'approve' was never rendered"):
        sim.click(ALICE, on=ref, action_id="approve")
    with pytest.raises(AssertionError, match="cannot see channel"):
        sim.click(BOB, on=ref, action_id="pick")
    assert app.requests == []
    sim.click(ALICE, on=ref, action_id="pick", text="One")
    payload = app.last_payload()
    assert payload["type"] == "block_actions" and payload["container"]["message_ts"] == card["ts"]
    assert payload["actions"][0] | {"action_ts": "x"} == {
        "action_id": "pick", "block_id": card["message"]["blocks"][0]["block_id"], "type": "button",
        "value": "1", "text": {"type": "plain_text", "text": "One"}, "action_ts": "x"}
    assert payload["message"]["ts"] == card["ts"] and payload["trigger_id"] and payload["response_url"]


def test_submit_types_state_values_from_the_rendered_elements(sim, app, fake):
    view_id = open_modal(
        fake, ALICE,
        input_block("reason", {"type": "plain_text_input", "max_length": 20}),
        input_block("app", {"type": "static_select", "options": options("github", "okta")}),
        input_block("who", {"type": "users_select"}),
        input_block("until", {"type": "datepicker"}),
        input_block("flags", {"type": "checkboxes", "options": options("urgent", "prod")}),
        input_block("tier", {"type": "radio_buttons", "options": options("low", "high")}),
        input_block("team", {"type": "external_select"}, optional=True))
    result = sim.submit(ALICE, view_id, {"reason": "on call", "app": "okta", "who": BOB, "until": date(2026, 12, 1),
                                         "flags": ["prod"], "tier": {"v": "high"}})
    values = app.last_payload()["view"]["state"]["values"]
    assert values["reason"]["v"] == {"type": "plain_text_input", "value": "on call"}
    assert values["app"]["v"]["selected_option"]["value"] == "okta"
    assert values["who"]["v"] == {"type": "users_select", "selected_user": BOB}
    assert values["until"]["v"] == {"type": "datepicker", "selected_date": "2026-12-01"}
    assert [o["value"] for o in values["flags"]["v"]["selected_options"]] == ["prod"]
    assert values["tier"]["v"]["selected_option"]["value"] == "high"
    assert values["team"]["v"] == {"type": "external_select", "selected_option": None}
    assert result.top is None and fake.modal_stack(ALICE) == []  # an empty ack closes the view


def test_submit_refuses_what_the_slack_client_would_not_send(sim, app, fake):
    view_id = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input", "max_length": 5}),
                         input_block("app", {"type": "static_select", "options": options("github")}))
    with pytest.raises(AssertionError, match="'app' is required"):
        sim.submit(ALICE, view_id, {"reason": "ok"})
    with pytest.raises(AssertionError, match="at most 5 characters"):
        sim.submit(ALICE, view_id, {"reason": "far too long", "app": "github"})
    with pytest.raises(AssertionError, match="not among the options"):
        sim.submit(ALICE, view_id, {"reason": "ok", "app": "gitlab"})
    with pytest.raises(AssertionError, match="no input blocks"):
        sim.submit(ALICE, view_id, {"reason": "ok", "app": "github", "typo": "x"})
    assert app.requests == []


def test_response_action_errors_must_name_input_blocks(sim, app, fake):
    view_id = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input"}))
    app.answers.append({"response_action": "errors", "errors": {"reason": "Too short"}})
    refused = sim.submit(ALICE, view_id, {"reason": "x"})
    assert refused.errors == {"reason": "Too short"} and refused.top.id == view_id
    app.answers.append({"response_action": "errors", "errors": {"reson": "Too short"}})
    with pytest.raises(AssertionError, match="'reson' is not the block_id of an input block"):
        sim.submit(ALICE, view_id, {"reason": "x"})


def test_response_action_update_and_push_change_the_stack(sim, app, fake):
    view_id = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input"}))
    next_view = {"type": "modal", "title": {"type": "plain_text", "text": "Working"},
                 "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Working…"}}]}
    app.answers.append({"response_action": "push", "view": next_view})
    assert sim.submit(ALICE, view_id, {"reason": "x"}).top.title == "Working"
    assert [v.id for v in fake.modal_stack(ALICE)][0] == view_id and len(fake.modal_stack(ALICE)) == 2


def test_suggestions_respect_min_query_length_and_the_100_option_cap(sim, app, fake):
    view_id = open_modal(fake, ALICE, input_block("app", {"type": "external_select", "min_query_length": 2}))
    with pytest.raises(AssertionError, match="only from 2 characters"):
        sim.suggest(ALICE, view_id, "v", "g")
    app.answers.append({"options": options("github", "gitlab")})
    assert [o["value"] for o in sim.suggest(ALICE, view_id, "v", "gi")] == ["github", "gitlab"]
    assert app.last_payload()["value"] == "gi" and app.last_payload()["type"] == "block_suggestion"
    app.answers.append({"options": options(*[f"app{i}" for i in range(101)])})
    with pytest.raises(AssertionError, match="more than 100"):
        sim.suggest(ALICE, view_id, "v", "app")


def test_response_action_update_replaces_in_place_and_clear_closes_everything(sim, app, fake):
    view_id = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input"}))
    done = {"type": "modal", "title": {"type": "plain_text", "text": "Submitted"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Request 42 is on its way"}}]}
    before = fake.view(view_id).hash
    app.answers.append({"response_action": "update", "view": done})
    updated = sim.submit(ALICE, view_id, {"reason": "x"}).top
    assert updated.id == view_id and updated.hash != before and updated.title == "Submitted"
    second = open_modal(fake, BOB, input_block("reason", {"type": "plain_text_input"}))
    WebClient(token=fake.bot_token, base_url=fake.api_url).views_push(
        trigger_id=fake.issue_trigger(BOB, second), view=done | {"submit": {"type": "plain_text", "text": "OK"}})
    app.answers.append({"response_action": "clear"})
    assert sim.submit(BOB, fake.modal_stack(BOB)[-1].id).top is None and fake.modal_stack(BOB) == []


def test_closing_a_modal_notifies_only_when_asked(sim, app, fake):
    quiet = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input"}))
    assert sim.close(ALICE, quiet) is None and app.requests == []
    noisy = open_modal(fake, ALICE, input_block("reason", {"type": "plain_text_input"}), notify_on_close=True)
    sim.close(ALICE, noisy)
    assert app.last_payload()["type"] == "view_closed" and app.last_payload()["view"]["id"] == noisy
    assert fake.modal_stack(ALICE) == []


def test_shortcuts_must_be_declared_in_the_manifest(app, fake, tmp_path):
    sim = SlackSim(TestClient(app.asgi()), fake, SECRET)
    with pytest.raises(AssertionError, match="no global shortcut 'report_incident'"):
        sim.shortcut(ALICE, "report_incident")
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    manifest["features"]["shortcuts"] = [{"name": "Report an incident", "type": "global",
                                          "callback_id": "report_incident", "description": "Not in manifest.yml"}]
    (tmp_path / "manifest.yml").write_text(yaml.safe_dump(manifest))
    with FakeSlack.start(tmp_path / "manifest.yml") as other:
        other.add_user(ALICE, "alice@example.com", "alice")
        ack = SlackSim(TestClient(app.asgi()), other, SECRET).shortcut(ALICE, "report_incident")
    payload = app.last_payload()
    assert payload["type"] == "shortcut" and payload["callback_id"] == "report_incident"
    assert payload["trigger_id"] == ack.trigger_id and payload["user"]["id"] == ALICE
