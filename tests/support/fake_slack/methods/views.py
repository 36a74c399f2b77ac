"""views.open, views.push, views.update and views.publish, with Slack's trigger and hash rules.

A trigger_id lives 3 seconds and is exchanged once; a modal stack holds the root view plus two pushes; a `hash`
is optional, but when passed to views.update / views.publish it must match the view's current hash (for a
user with no Home view yet, nothing matches) or the call fails with hash_conflict. Every view written gets a
new hash, returned in `view.hash`.
"""

from __future__ import annotations

from typing import Any

from tests.support.fake_slack.methods.common import Context, checked_view, missing_field
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import MAX_MODAL_STACK, TRIGGER_TTL_SECONDS, Trigger, ViewRecord


def exchange_trigger(ctx: Context) -> Trigger:
    trigger_id = ctx.get("trigger_id") or ctx.get("interactivity_pointer")
    if not trigger_id:
        raise SlackError("invalid_arguments", **missing_field("trigger_id"))
    trigger = ctx.ws.triggers.get(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ctx.ws.now() - trigger.issued_at > TRIGGER_TTL_SECONDS:
        raise SlackError("expired_trigger_id")
    trigger.used = True
    return trigger


def modal_view(ctx: Context) -> dict:
    view = checked_view(ctx)
    if view["type"] != "modal":
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] must be a modal [json-pointer:/view/type]"]})
    external_id = view.get("external_id")
    if external_id and any(r.body.get("external_id") == external_id and not r.closed
                           for r in ctx.ws.views.values()):
        raise SlackError("duplicate_external_id")
    return view


def new_view(ctx: Context, user: str, body: dict, *, root: str | None, previous: str | None) -> ViewRecord:
    view_id = ctx.ws.next_id("V")
    record = ViewRecord(id=view_id, user=user, body=body, hash=ctx.ws.new_hash(),
                        root_view_id=root or view_id, previous_view_id=previous)
    ctx.ws.views[view_id] = record
    return record


def open_view(ctx: Context) -> dict[str, Any]:
    body = modal_view(ctx)
    trigger = exchange_trigger(ctx)
    for old in ctx.ws.modal_stacks.get(trigger.user, []):
        ctx.ws.views[old].closed = True  # a new root replaces whatever the user had open
    record = new_view(ctx, trigger.user, body, root=None, previous=None)
    ctx.ws.modal_stacks[trigger.user] = [record.id]
    return {"ok": True, "view": record.as_slack()}


def push_view(ctx: Context) -> dict[str, Any]:
    body = modal_view(ctx)
    trigger = exchange_trigger(ctx)
    stack = ctx.ws.modal_stacks.get(trigger.user) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MAX_MODAL_STACK:
        raise SlackError("push_limit_reached")
    record = new_view(ctx, trigger.user, body, root=stack[0], previous=stack[-1])
    stack.append(record.id)
    return {"ok": True, "view": record.as_slack()}


def update_view(ctx: Context) -> dict[str, Any]:
    view_id, external_id = ctx.get("view_id"), ctx.get("external_id")
    if not view_id and not external_id:
        raise SlackError("invalid_arguments", **missing_field("view_id"))
    body = checked_view(ctx)
    record = ctx.ws.views.get(view_id) if view_id else next(
        (r for r in ctx.ws.views.values() if r.body.get("external_id") == external_id and not r.closed), None)
    if record is None or record.closed:
        raise SlackError("not_found")
    check_hash(ctx, record)
    if body["type"] != record.type:
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] cannot change the view type [json-pointer:/view/type]"]})
    replace_body(ctx, record, body)
    return {"ok": True, "view": record.as_slack()}


def publish_view(ctx: Context) -> dict[str, Any]:
    user_id = ctx.require("user_id")
    body = checked_view(ctx)
    if body["type"] != "home":
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] must be a home view [json-pointer:/view/type]"]})
    if not ctx.fake.manifest.home_tab_enabled:
        raise SlackError("not_enabled")
    if user_id not in ctx.ws.users:
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] invalid user_id [json-pointer:/user_id]"]})
    current = ctx.ws.views.get(ctx.ws.homes.get(user_id, ""))
    if current is None:
        if ctx.get("hash"):
            raise SlackError("hash_conflict")  # no view to match: the caller's idea of the Home is wrong
        current = new_view(ctx, user_id, body, root=None, previous=None)
        ctx.ws.homes[user_id] = current.id
    else:
        check_hash(ctx, current)
        replace_body(ctx, current, body)
    return {"ok": True, "view": current.as_slack()}


def check_hash(ctx: Context, record: ViewRecord) -> None:
    expected = ctx.get("hash")
    if expected and expected != record.hash:
        raise SlackError("hash_conflict")


def replace_body(ctx: Context, record: ViewRecord, body: dict) -> None:
    """A new body and hash; typed input survives where block_id and action_id are unchanged, as in Slack."""
    kept: dict[str, dict] = {}
    for block in body.get("blocks", []):
        old = record.state_values.get(block.get("block_id"), {})
        action_id = (block.get("element") or {}).get("action_id")
        if action_id in old:
            kept[block["block_id"]] = {action_id: old[action_id]}
    record.body, record.hash, record.state_values = body, ctx.ws.new_hash(), kept


HANDLERS = {
    "views.open": open_view,
    "views.push": push_view,
    "views.update": update_view,
    "views.publish": publish_view,
}
