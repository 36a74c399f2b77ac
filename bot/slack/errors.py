"""Refusals and failures, shown where the person is looking. The one place Slack maps errors.

- A form submission: the message goes inline under the input it is about (``response_action=errors``),
  or the form turns into a notice when the refusal is not about one input.
- A button on a message or a slash command: an ephemeral reply through ``response_url``.
- A button on the App Home or in a modal (no ephemerals there): a small notice modal.
Anything unexpected is logged with a reference the person can quote to IT.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import AlreadyDecided, DomainError, NotAuthorized
from bot.slack.ids import FIELD_BLOCKS
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md

log = logging.getLogger(__name__)


def refusal_text(error: DomainError) -> str:
    icon = "ℹ️" if isinstance(error, AlreadyDecided) else "🚫" if isinstance(error, NotAuthorized) else "⚠️"
    return f"{icon} {md.escape(error.message)}"


def surface_of(body: dict[str, Any]) -> str:
    """"modal", "home", "message" or "command": where an interaction came from."""
    if body.get("command"):
        return "command"
    container = body.get("container") or {}
    view = body.get("view") or {}
    if container.get("type") == "view" or view:
        return "home" if view.get("type") == "home" else "modal"
    return "message"


def tell(text: str, *, body: dict[str, Any], client: WebClient, respond=None) -> None:
    """Show ``text`` (mrkdwn) to the person who made this request, privately."""
    surface = surface_of(body)
    if surface in ("message", "command") and respond is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    trigger_id = body.get("trigger_id")
    if trigger_id and surface in ("home", "modal"):
        view = ui.notice_modal("accessbot", text)
        try:
            (client.views_push if surface == "modal" else client.views_open)(trigger_id=trigger_id, view=view)
            return
        except SlackApiError as error:  # trigger expired or used: fall back to a DM
            log.info("notice modal not opened (%s); sending a DM", error.response.get("error"))
    user_id = (body.get("user") or {}).get("id") or body.get("user_id")
    if user_id:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text, blocks=[ui.section(text)])


def tell_refusal(error: DomainError, *, body: dict[str, Any], client: WebClient, respond=None) -> None:
    tell(refusal_text(error), body=body, client=client, respond=respond)


def submission_answer(error: DomainError, view: dict[str, Any]) -> dict[str, Any]:
    """The ack for a refused form: inline under the right input, else the form becomes a notice."""
    block_id = FIELD_BLOCKS.get(error.field or "")
    inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    if block_id is not None and block_id in inputs:
        return {"response_action": "errors", "errors": {block_id: md.truncate(error.message, 300)}}
    return {"response_action": "update", "view": ui.notice_modal("Not done", refusal_text(error))}


def on_unexpected_error(error: Exception, body: dict[str, Any], client: WebClient, respond=None) -> None:
    """Bolt's global error handler: a listener raised something that is not a refusal."""
    if isinstance(error, DomainError):  # a listener forgot to map a refusal: still tell the person kindly
        _safely(tell_refusal, error, body=body, client=client, respond=respond)
        return
    reference = uuid.uuid4().hex[:8]
    log.error("Slack request failed (reference %s, type %s)", reference, body.get("type") or body.get("command"),
              exc_info=error)
    text = f"⚠️ Something went wrong on our side. If it happens again, tell IT the reference `{reference}`."
    _safely(tell, text, body=body, client=client, respond=respond)


def _safely(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # telling the user failed too; the log above has the cause
        log.exception("could not tell the user about an error")
