"""The payloads Slack sends, field for field (docs.slack.dev reference/interaction-payloads, events API)."""

from __future__ import annotations

import secrets
from typing import Any

from tests.support.fake_slack.snapshots import Message, View
from tests.support.fake_slack.state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

# The deprecated verification token still travels in every payload; apps must not use it for auth.
VERIFICATION_TOKEN = "deprecated-verification-token"


def team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def user_ref(user_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def slash_command(*, command: str, text: str, user_id: str, user_name: str, channel_id: str,
                  channel_name: str, trigger_id: str, response_url: str) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "team_domain": TEAM_DOMAIN, "channel_id": channel_id,
        "channel_name": channel_name, "user_id": user_id, "user_name": user_name, "command": command,
        "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id,
    }


def event_callback(event: dict[str, Any], *, now: float) -> dict[str, Any]:
    event = {"event_ts": f"{now:.6f}", **event}
    return {
        "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
        "type": "event_callback", "event_id": "Ev" + secrets.token_hex(5).upper(), "event_time": int(now),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": "4-" + secrets.token_urlsafe(16),
    }


def message_json(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts,
                            "team": TEAM_ID, "blocks": message.blocks}
    if message.user == BOT_USER_ID:
        body.update(bot_id=BOT_ID, app_id=APP_ID)
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    return body


def interaction_base(kind: str, *, user_id: str, user_name: str, trigger_id: str) -> dict[str, Any]:
    return {"type": kind, "user": user_ref(user_id, user_name), "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN, "trigger_id": trigger_id, "team": team(), "enterprise": None,
            "is_enterprise_install": False}


def view_with_state(view: View, values: dict[str, dict]) -> dict[str, Any]:
    body = dict(view.body)
    body["state"] = {"values": values}
    return body


def block_actions(base: dict[str, Any], *, container: dict[str, Any], action: dict[str, Any],
                  state: dict[str, dict], extra: dict[str, Any]) -> dict[str, Any]:
    return {**base, "container": container, "state": {"values": state}, "actions": [action], **extra}


def shortcut(base: dict[str, Any], *, callback_id: str, now: float) -> dict[str, Any]:
    return {**base, "type": "shortcut", "callback_id": callback_id, "action_ts": f"{now:.6f}"}


def message_shortcut(base: dict[str, Any], *, callback_id: str, now: float, message: Message, channel_name: str,
                     response_url: str) -> dict[str, Any]:
    return {**base, "type": "message_action", "callback_id": callback_id, "action_ts": f"{now:.6f}",
            "message_ts": message.ts, "message": message_json(message), "response_url": response_url,
            "channel": {"id": message.channel, "name": channel_name}}


def view_submission(base: dict[str, Any], view: View, values: dict[str, dict]) -> dict[str, Any]:
    return {**base, "view": view_with_state(view, values), "response_urls": []}


def view_closed(base: dict[str, Any], view: View) -> dict[str, Any]:
    payload = {**base, "view": view.body, "is_cleared": bool(view.body.get("clear_on_close"))}
    payload.pop("trigger_id", None)  # closing a view mints no trigger
    return payload


def block_suggestion(base: dict[str, Any], *, container: dict[str, Any], block_id: str, action_id: str,
                     query: str, extra: dict[str, Any]) -> dict[str, Any]:
    payload = {**base, "container": container, "action_id": action_id, "block_id": block_id, "value": query,
               **extra}
    payload.pop("trigger_id", None)  # suggestions carry no trigger
    return payload
