"""chat.postMessage, chat.update, chat.postEphemeral and chat.delete."""

from __future__ import annotations

from typing import Any

from tests.support.fake_slack.methods.common import Context, checked_message, json_arg
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import (
    APP_ID, BOT_USER_ID, TEAM_ID, Conversation, EphemeralRecord, MessageRecord,
)


def message_json(record: MessageRecord) -> dict[str, Any]:
    """A message as Slack returns it (chat.* answers, interaction payloads)."""
    body: dict[str, Any] = {
        "type": "message", "user": record.user, "text": record.text, "ts": record.ts, "team": TEAM_ID,
    }
    if record.bot_id:
        body.update(bot_id=record.bot_id, app_id=APP_ID,
                    bot_profile={"id": record.bot_id, "app_id": APP_ID, "name": "accessbot", "team_id": TEAM_ID})
    if record.blocks:
        body["blocks"] = record.blocks
    if record.thread_ts:
        body["thread_ts"] = record.thread_ts
    if record.metadata:
        body["metadata"] = record.metadata
    if record.edited_ts:
        body["edited"] = {"user": record.user, "ts": record.edited_ts}
    return body


def writable_conversation(ctx: Context, ref: str) -> Conversation:
    """The conversation the bot may post to, or Slack's error for why it may not."""
    conversation = ctx.ws.conversation_by_ref(ref)
    if conversation is None:
        raise SlackError("channel_not_found")
    if BOT_USER_ID in conversation.members:
        return conversation
    if conversation.is_private:
        raise SlackError("channel_not_found")  # private channels the bot is not in are invisible to it
    if not ctx.caller.has("chat:write.public"):
        raise SlackError("not_in_channel")
    return conversation


def post_message(ctx: Context) -> dict[str, Any]:
    conversation = writable_conversation(ctx, ctx.require("channel", error="channel_not_found"))
    text, blocks = checked_message(ctx)
    metadata = json_arg(ctx, "metadata", "invalid_metadata_format")
    thread_ts = ctx.get("thread_ts")
    if thread_ts and (conversation.id, thread_ts) not in ctx.ws.messages:
        raise SlackError("thread_not_found")
    record = MessageRecord(channel=conversation.id, ts=ctx.ws.next_ts(), user=BOT_USER_ID, text=text or "",
                           blocks=blocks or [], thread_ts=thread_ts, metadata=metadata)
    ctx.ws.messages[(record.channel, record.ts)] = record
    return {"ok": True, "channel": record.channel, "ts": record.ts, "message": message_json(record)}


def own_message(ctx: Context, *, cant: str) -> MessageRecord:
    ref = ctx.require("channel", error="channel_not_found")
    conversation = ctx.ws.conversation_by_ref(ref)
    if conversation is None:
        raise SlackError("channel_not_found")
    record = ctx.ws.messages.get((conversation.id, ctx.require("ts", error="message_not_found")))
    if record is None or record.deleted:
        raise SlackError("message_not_found")  # ephemeral messages are never found here either
    if record.user != BOT_USER_ID:
        raise SlackError(cant)
    return record


def update(ctx: Context) -> dict[str, Any]:
    record = own_message(ctx, cant="cant_update_message")
    text, blocks = checked_message(ctx, text_required=False)
    if text is None and blocks is None:
        raise SlackError("no_text")
    if text is not None:
        record.text = text
    if blocks is not None:  # leaving blocks out keeps the old ones; [] removes them (chat.update docs)
        record.blocks = blocks
    record.edited_ts = ctx.ws.next_ts()
    record.revisions += 1
    return {"ok": True, "channel": record.channel, "ts": record.ts, "text": record.text,
            "message": message_json(record)}


def delete(ctx: Context) -> dict[str, Any]:
    record = own_message(ctx, cant="cant_delete_message")
    record.deleted = True
    return {"ok": True, "channel": record.channel, "ts": record.ts}


def post_ephemeral(ctx: Context) -> dict[str, Any]:
    conversation = writable_conversation(ctx, ctx.require("channel", error="channel_not_found"))
    user_id = ctx.require("user", error="user_not_in_channel")
    if user_id not in ctx.ws.users:
        raise SlackError("user_not_found")
    if user_id not in conversation.members:
        raise SlackError("user_not_in_channel")
    text, blocks = checked_message(ctx)
    record = EphemeralRecord(message_ts=ctx.ws.next_ts(), channel=conversation.id, user=user_id,
                             text=text or "", blocks=blocks or [], source="chat.postEphemeral")
    ctx.ws.ephemerals.append(record)
    return {"ok": True, "message_ts": record.message_ts}


HANDLERS = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
}
