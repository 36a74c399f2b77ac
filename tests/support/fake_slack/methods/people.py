"""users.info, users.lookupByEmail and conversations.open."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.fake_slack.methods.common import Context
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import BOT_USER_ID, TEAM_ID, Conversation, User


def user_json(user: User, *, with_email: bool, now: float) -> dict[str, Any]:
    """A user object as users.info returns it; `profile.email` only with users:read.email."""
    zone = ZoneInfo(user.tz)
    local = datetime.fromtimestamp(now, timezone.utc).astimezone(zone)
    first, _, last = user.real_name.partition(" ")
    profile: dict[str, Any] = {
        "real_name": user.real_name, "real_name_normalized": user.real_name, "display_name": user.name,
        "display_name_normalized": user.name, "first_name": first, "last_name": last, "team": TEAM_ID,
        "image_72": f"https://avatars.example.invalid/{user.id}_72.png",
    }
    if with_email and user.email:
        profile["email"] = user.email
    return {
        "id": user.id, "team_id": TEAM_ID, "name": user.name, "deleted": user.deleted, "real_name": user.real_name,
        "tz": user.tz, "tz_label": local.tzname(), "tz_offset": int(local.utcoffset().total_seconds()),
        "profile": profile, "is_admin": user.is_admin, "is_owner": False, "is_primary_owner": False,
        "is_restricted": user.is_restricted, "is_ultra_restricted": user.is_ultra_restricted,
        "is_bot": user.is_bot, "is_app_user": False, "updated": user.updated,
        "is_email_confirmed": user.email_confirmed,
    }


def users_info(ctx: Context) -> dict[str, Any]:
    user = ctx.ws.users.get(ctx.require("user", error="user_not_found"))
    if user is None:
        raise SlackError("user_not_found")
    body = user_json(user, with_email=ctx.caller.has("users:read.email"), now=ctx.ws.now())
    if ctx.flag("include_locale"):
        body["locale"] = "en-US"
    return {"ok": True, "user": body}


def lookup_by_email(ctx: Context) -> dict[str, Any]:
    email = ctx.require("email", error="users_not_found").strip().lower()
    for user in ctx.ws.users.values():
        # Deactivated users are not found by email (users.lookupByEmail docs: use users.list for them).
        if user.email and user.email.lower() == email and not user.deleted:
            return {"ok": True, "user": user_json(user, with_email=True, now=ctx.ws.now())}
    raise SlackError("users_not_found")


def open_conversation(ctx: Context) -> dict[str, Any]:
    channel_id = ctx.get("channel")
    if channel_id:
        conversation = ctx.ws.conversations.get(channel_id)
        if conversation is None:
            raise SlackError("channel_not_found")
        return conversation_answer(ctx, conversation, already_open=True)
    user_ids = ctx.id_list("users")
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    if len(user_ids) > 8:
        raise SlackError("too_many_users")
    for user_id in user_ids:
        user = ctx.ws.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
    if len(user_ids) > 1:
        ctx.caller.require("mpim:write")
        return conversation_answer(ctx, group_dm(ctx, user_ids), already_open=False)
    if user_ids[0] == BOT_USER_ID:
        raise SlackError("cannot_dm_bot")
    if ctx.flag("prevent_creation") and not any(c.im_user == user_ids[0] for c in ctx.ws.conversations.values()):
        return {"ok": True, "channel": {"id": None}, "no_op": True}
    im, existed = ctx.ws.im_with(user_ids[0])
    return conversation_answer(ctx, im, already_open=existed)


def group_dm(ctx: Context, user_ids: list[str]) -> Conversation:
    members = {*user_ids, BOT_USER_ID}
    for conversation in ctx.ws.conversations.values():
        if conversation.members == members and conversation.is_private and not conversation.is_im:
            return conversation
    mpim = Conversation(id=ctx.ws.next_id("G"), name="mpdm-" + "--".join(sorted(user_ids)), members=members,
                        is_private=True, created=int(ctx.ws.now()))
    ctx.ws.conversations[mpim.id] = mpim
    return mpim


def conversation_answer(ctx: Context, conversation: Conversation, *, already_open: bool) -> dict[str, Any]:
    channel: dict[str, Any] = {"id": conversation.id}
    if ctx.flag("return_im"):
        channel.update(created=conversation.created, is_im=conversation.is_im, is_org_shared=False,
                       user=conversation.im_user, is_user_deleted=False, priority=0)
    answer: dict[str, Any] = {"ok": True, "channel": channel}
    if already_open:
        answer.update(no_op=True, already_open=True)
    return answer


HANDLERS = {
    "users.info": users_info,
    "users.lookupByEmail": lookup_by_email,
    "conversations.open": open_conversation,
}
