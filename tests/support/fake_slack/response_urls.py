"""`response_url` endpoints: what Bolt's respond() and WebhookClient post after an interaction.

Each URL belongs to one interaction (the user, the channel and, for a click, the message or ephemeral holding
the button). It accepts 5 posts within 30 minutes (Slack's interactivity docs). A post either deletes the
original (`delete_original`), replaces it whole (`replace_original`), or adds a new message: ephemeral to the
user unless `response_type` is `in_channel`. Failures answer 4xx with `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

from typing import Any

from tests.support import blockkit
from tests.support.fake_slack.methods.common import fill_generated_ids
from tests.support.fake_slack.state import (
    BOT_USER_ID, RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_SECONDS, EphemeralRecord, MessageRecord, ResponseUrl,
    Workspace,
)


class ResponseUrlError(Exception):
    def __init__(self, status: int, code: str):
        super().__init__(code)
        self.status, self.code = status, code


def post_to_response_url(ws: Workspace, url_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Apply one response_url post; the caller holds `ws.lock`. Raises ResponseUrlError on refusal."""
    record = ws.response_urls.get(url_id)
    if record is None:
        raise ResponseUrlError(404, "no_service")
    if ws.now() - record.issued_at > RESPONSE_URL_TTL_SECONDS:
        raise ResponseUrlError(404, "expired_url")
    if record.uses >= RESPONSE_URL_MAX_USES:
        raise ResponseUrlError(404, "used_url")
    record.uses += 1
    if truthy(body.get("delete_original")):
        original(ws, record).deleted = True
        return {"ok": True}
    text, blocks = body.get("text"), body.get("blocks")
    if not text and not blocks:
        raise ResponseUrlError(400, "no_text")
    problems = blockkit.message_errors(blocks, text)
    if problems:
        raise ResponseUrlError(400, "invalid_blocks")
    blocks = fill_generated_ids(blocks or [])
    if truthy(body.get("replace_original")):
        target = original(ws, record)
        target.text, target.blocks = text or "", blocks
        target.revisions += 1
    elif body.get("response_type") == "in_channel":
        message = MessageRecord(channel=record.channel, ts=ws.next_ts(), user=BOT_USER_ID, text=text or "",
                                blocks=blocks, thread_ts=body.get("thread_ts"))
        ws.messages[(message.channel, message.ts)] = message
    else:
        ws.ephemerals.append(EphemeralRecord(message_ts=ws.next_ts(), channel=record.channel, user=record.user,
                                             text=text or "", blocks=blocks, source="response_url"))
    return {"ok": True}


def original(ws: Workspace, record: ResponseUrl) -> MessageRecord | EphemeralRecord:
    """The message the interaction came from; a slash command's original is its (ephemeral) reply."""
    if record.source_ts is None:
        raise ResponseUrlError(404, "message_not_found")
    if record.source_is_ephemeral:
        found = next((e for e in ws.ephemerals if e.message_ts == record.source_ts and e.user == record.user), None)
    else:
        found = ws.messages.get((record.channel, record.source_ts))
    if found is None or found.deleted:
        raise ResponseUrlError(404, "message_not_found")
    return found


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
