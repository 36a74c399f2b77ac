"""Requests to /slack/events that are not what Slack sends: 401 unless signed, 400 when signed but
malformed, a refusal when only a value is wrong; never a 500 and never a change.

Issue 18 items 7 (overflowing durations), 8 (the signature is checked before anything is parsed),
9 (ids and times out of range) and 12 (correctly signed, wrongly shaped payloads).
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from bot.slack.ids import Callback
from tests.slack.harness import ALICE, DANA, IVAN, SECRET
from tests.support.databases import row_counts
from tests.support.slack_sim import ACK_DEADLINE_SECONDS
from tests.support.slack_driver import payloads
from tests.support.slack_driver.signing import slack_signature

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
HUGE = 2**63
DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_SLACK_JSON = [b"[]", b"[1, 2]", b"42", b'"text"', b"null", b"true", DEEP, b'{"a": ' * 5000 + b"1" + b"}" * 5000,
                  b'{"type": "event_callback", "enterprise": 5, "event": {"type": "app_home_opened"}}',
                  b'{"type": "event_callback", "authorizations": {"team_id": "T1"}, "event": {}}',
                  b'{"type": "event_callback", "authorizations": [7], "event": {}}',
                  b'{"type": "event_callback", "team": ["T1"], "event": {}}',
                  b'{"type": "url_verification", "challenge": "x\\u0000"}']


def _form(payload: dict) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def _interaction(kind: str, user: str = ALICE, **fields) -> dict:
    base = payloads.interaction_base(kind, user_id=user, user_name="x", trigger_id="1.2.3")
    return {**base, **fields}


@pytest.mark.parametrize("body", NOT_SLACK_JSON, ids=range(len(NOT_SLACK_JSON)))
def test_unsigned_bodies_are_refused_before_they_are_read(bot, body):
    before = row_counts(bot.store)
    assert bot.sim.signed_request(body, JSON, secret="not-our-signing-secret").status == 401
    assert bot.sim.signed_request(body, JSON, timestamp=int(time.time()) - 3600).status == 401
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("stamp", ["", "abc", "+1767225600", "1.5", "-1", "1_767_225_600", "9" * 40])
def test_a_timestamp_that_is_not_unix_seconds_is_401(bot, stamp):
    body = b'{"type": "url_verification", "challenge": "c"}'
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": slack_signature(SECRET, stamp, body)}
    answer = bot.sim.signed_request(body, JSON, headers=headers)
    assert answer.status == 401
    assert bot.sim.signed_request(body, JSON, headers={"X-Slack-Signature": ""}).status == 401


@pytest.mark.parametrize("body", NOT_SLACK_JSON, ids=range(len(NOT_SLACK_JSON)))
def test_signed_bodies_that_are_not_slack_payloads_are_400(bot, body):
    before = row_counts(bot.store)
    answer = bot.sim.signed_request(body, JSON)
    assert answer.status == 400, answer.body
    assert bot.sim.signed_request(urllib.parse.urlencode({"payload": body.decode()}).encode(), FORM).status == 400
    assert row_counts(bot.store) == before


MALFORMED_INTERACTIONS = {
    "user id not a string": _interaction("block_actions", actions=[{"action_id": "approve", "value": "{}"}])
    | {"user": {"id": 12345}},
    "user not an object": _interaction("view_submission", view={"callback_id": "request_modal"}) | {"user": 7},
    "no user": {k: v for k, v in _interaction("block_actions", actions=[{"action_id": "approve"}]).items()
                if k != "user"},
    "actions not a list": _interaction("block_actions", actions={"action_id": "approve"}),
    "action value not a string": _interaction("block_actions", actions=[{"action_id": "approve", "value": 5}]),
    "no actions": _interaction("block_actions", actions=[]),
    "blocks not a list": _interaction("view_submission", view={"callback_id": "request_modal", "blocks": "x",
                                                                "state": {"values": {}}}),
    "state not an object": _interaction("view_submission", view={"callback_id": "request_modal", "state": []}),
    "private_metadata not a string": _interaction("view_submission", view={
        "callback_id": "extend_modal", "private_metadata": {"grant_id": 1}, "state": {"values": {}}}),
    "trigger_id not a string": _interaction("shortcut", callback_id="request_access") | {"trigger_id": ["x"]},
}


@pytest.mark.parametrize("payload", MALFORMED_INTERACTIONS.values(), ids=MALFORMED_INTERACTIONS.keys())
def test_signed_interactions_of_the_wrong_shape_are_400_and_change_nothing(bot, payload):
    before, calls = row_counts(bot.store), bot.fake.last_seq
    answer = bot.sim.signed_request(_form(payload), FORM)
    assert answer.status == 400, answer.body
    assert row_counts(bot.store) == before and bot.fake.last_seq == calls


MALFORMED_COMMANDS = {
    "no user_id": {"command": "/access", "text": "wiki editor 1d x", "response_url": "https://x", "trigger_id": "t"},
    "empty user_id": {"command": "/access", "text": "", "user_id": "", "response_url": "https://x", "trigger_id": "t"},
}


@pytest.mark.parametrize("fields", MALFORMED_COMMANDS.values(), ids=MALFORMED_COMMANDS.keys())
def test_signed_commands_without_who_sent_them_are_400(bot, fields):
    before = row_counts(bot.store)
    assert bot.sim.signed_request(urllib.parse.urlencode(fields).encode(), FORM).status == 400
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("duration", ["99999999999d", "1000000000w"])
def test_an_overflowing_duration_on_the_quick_path_is_refused(bot, duration):
    before = row_counts(bot.store)
    ack = bot.sim.slash(ALICE, "/access", f"wiki editor {duration} need it forever")
    assert ack.status == 200
    shown = json.dumps(ack.json) if ack.json else ""
    bot.settle()
    shown += " ".join(e.visible_text for e in bot.fake.ephemerals(ALICE))
    assert "longer than 100 years" in shown
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("duration", ["99999999999d", "1000000000w"])
def test_an_overflowing_duration_on_access_admin_grant_is_refused(bot, duration):
    seen = len(bot.fake.ephemerals(IVAN))
    ack = bot.sim.slash(IVAN, "/access-admin", f"grant @alice wiki:editor {duration} incident")
    assert ack.status == 200
    answer = bot.fake.wait_until(lambda: bot.fake.ephemerals(IVAN)[seen:], what="the answer")[-1].visible_text
    assert "longer than 100 years" in answer
    assert bot.grants_of("alice@acme.test") == []


def _view(callback: Callback, metadata: str, values: dict | None = None) -> dict:
    return {"id": "V0BOGUS01", "type": "modal", "callback_id": str(callback), "private_metadata": metadata,
            "hash": "1.x", "blocks": [], "state": {"values": values or {}}}


@pytest.mark.parametrize("metadata", [
    json.dumps({"v": 1, "grant_id": HUGE}), json.dumps({"v": 1, "grant_id": 2**31}),
    json.dumps({"v": 1, "grant_id": -1}),
    json.dumps({"v": 1, "grant_id": "abc"}), json.dumps({"v": 1, "grant_id": 10**400}), "9" * 5000])
def test_an_id_out_of_range_in_private_metadata_is_refused_in_the_form(bot, metadata):
    before = row_counts(bot.store)
    values = {"duration": {"duration:x": {"type": "static_select", "selected_option": {"value": "1h"}}}}
    submission = _interaction("view_submission", view=_view(Callback.EXTEND, metadata, values), response_urls=[],
                              trigger_id=bot.fake.issue_trigger(ALICE))
    answer = bot.sim.signed_request(_form(submission), FORM)
    assert answer.status == 200, answer.body
    assert answer.json["response_action"] in ("errors", "update") and "out of date" in json.dumps(answer.json)
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("at", [10**20, -5, 2**63])
def test_an_offboarding_time_out_of_range_is_refused_in_the_form(bot, at):
    before = row_counts(bot.store)
    metadata = json.dumps({"v": 1, "person_id": 1, "at": at})
    submission = _interaction("view_submission", IVAN, view=_view(Callback.OFFBOARD, metadata), response_urls=[],
                              trigger_id=bot.fake.issue_trigger(IVAN))
    answer = bot.sim.signed_request(_form(submission), FORM)
    assert answer.status == 200 and "out of date" in json.dumps(answer.json), answer.body
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("starts_at", [10**15, -1, "soon", 2**63, True])
def test_a_start_time_out_of_range_is_an_inline_error(bot, starts_at):
    before = row_counts(bot.store)
    values = {"entitlement": {"entitlement_picker": {"type": "external_select",
                                                     "selected_option": {"value": "wiki:editor"}}},
              "starts_at": {"starts_at": {"type": "datetimepicker", "selected_date_time": starts_at}}}
    view = _view(Callback.REQUEST, json.dumps({"v": 1}), values)
    view["blocks"] = [{"type": "input", "block_id": "starts_at"}]
    answer = bot.sim.signed_request(_form(_interaction("view_submission", view=view, response_urls=[],
                                                               trigger_id=bot.fake.issue_trigger(ALICE))), FORM)
    assert answer.status == 200, answer.body
    assert answer.json["response_action"] == "errors" and "starts_at" in answer.json["errors"]
    assert row_counts(bot.store) == before


def test_a_null_entitlement_in_the_form_is_an_inline_error(bot):
    before = row_counts(bot.store)
    values = {"entitlement": {"entitlement_picker": {"type": "external_select", "selected_option": {"value": None}}}}
    view = _view(Callback.REQUEST, json.dumps({"v": 1}), values)
    view["blocks"] = [{"type": "input", "block_id": "entitlement"}]
    answer = bot.sim.signed_request(_form(_interaction("view_submission", view=view, response_urls=[],
                                                               trigger_id=bot.fake.issue_trigger(ALICE))), FORM)
    assert answer.status == 200, answer.body
    assert answer.json["response_action"] in ("errors", "update") and "app:role" in json.dumps(answer.json)
    assert row_counts(bot.store) == before  # nothing but the refusal, which every refusal leaves on record
    assert [e.detail.get("code") for e in bot.audit("refused.submit")] == ["not_found"]


def test_a_button_pointing_past_bigint_is_refused_as_out_of_date(bot):
    before = row_counts(bot.store)
    dm = bot.fake.dm_channel(DANA)
    click = _interaction("block_actions", DANA, container={"type": "message", "message_ts": "1.2", "channel_id": dm},
                         channel={"id": dm}, response_url=bot.fake.issue_response_url(DANA, dm),
                         actions=[{"type": "button", "action_id": "approve", "block_id": "decision",
                                   "value": json.dumps({"v": 1, "request_id": HUGE}), "action_ts": "1.2"}])
    assert bot.sim.signed_request(_form(click), FORM).status == 200
    told = bot.fake.wait_until(lambda: bot.fake.ephemerals(DANA), what="Dana is told")[-1].visible_text
    assert "out of date" in told and "Something went wrong" not in told
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("payload", [
    # the picker's listener acks, then reads body["view"]; the form shortcut acks, then reads the trigger
    _interaction("block_actions", container={"type": "view", "view_id": "V0GONE0001"},
                 actions=[{"type": "external_select", "action_id": "entitlement_picker", "block_id": "entitlement",
                           "selected_option": {"value": "wiki:editor"}, "action_ts": "1.2"}]),
    {k: v for k, v in _interaction("shortcut", callback_id="request_access").items() if k != "trigger_id"},
], ids=["picker without its view", "shortcut without a trigger"])
def test_a_listener_failing_right_after_its_ack_does_not_hold_the_answer(bot, payload):
    """Bolt clears the ack of a listener that raises after acking and waits out its 3 s timeout."""
    bot.fake.expect_error("views.push", "invalid_trigger_id")  # telling the person, on the made-up trigger
    before = row_counts(bot.store)
    answer = bot.sim.signed_request(_form(payload), FORM)
    assert answer.status == 200
    assert answer.latency < ACK_DEADLINE_SECONDS  # Slack's deadline, the harness's rule for every ack
    assert row_counts(bot.store) == before


@pytest.mark.parametrize("text", ["on call\u0000", "on call\ud800"])
def test_request_form_text_no_database_stores_is_refused(bot, text):
    """PostgreSQL cannot store NUL; no UTF-8 database stores a lone surrogate (JSON's \\ud800)."""
    before = row_counts(bot.store)
    values = {"entitlement": {"entitlement_picker": {"type": "external_select",
                                                     "selected_option": {"value": "wiki:editor"}}},
              "justification": {"justification": {"type": "plain_text_input", "value": text}}}
    view = _view(Callback.REQUEST, json.dumps({"v": 1}), values)
    submission = _interaction("view_submission", view=view, response_urls=[], trigger_id=bot.fake.issue_trigger(ALICE))
    answer = bot.sim.signed_request(_form(submission), FORM)
    assert answer.status == 400, answer.body
    assert row_counts(bot.store) == before
