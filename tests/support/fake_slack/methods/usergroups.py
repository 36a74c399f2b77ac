"""usergroups.list, usergroups.users.list and usergroups.users.update (full replace, no add/remove).

Faithful to the two surprises documented in notes/connectors.md §3: the update replaces the whole member list,
and emptying a group answers `invalid_users` although the group is emptied anyway.
"""

from __future__ import annotations

from typing import Any

from tests.support.fake_slack.methods.common import Context
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import TEAM_ID, Usergroup


def usergroup_json(group: Usergroup, *, include_users: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id, "team_id": TEAM_ID, "is_usergroup": True, "is_subteam": True, "name": group.name,
        "description": group.description, "handle": group.handle, "is_external": False,
        "date_create": group.date_create, "date_update": group.date_update,
        "date_delete": group.date_update if group.disabled else 0, "auto_type": None,
        "created_by": group.updated_by, "updated_by": group.updated_by, "deleted_by": None,
        "prefs": {"channels": [], "groups": []}, "user_count": len(group.users),
    }
    if include_users:
        body["users"] = list(group.users)
    return body


def find_group(ctx: Context) -> Usergroup:
    group = ctx.ws.usergroups.get(ctx.require("usergroup", error="no_such_subteam"))
    if group is None or (group.disabled and not ctx.flag("include_disabled") and ctx.method.endswith(".list")):
        raise SlackError("no_such_subteam")
    return group


def list_groups(ctx: Context) -> dict[str, Any]:
    groups = [g for g in ctx.ws.usergroups.values() if ctx.flag("include_disabled") or not g.disabled]
    return {"ok": True, "usergroups": [usergroup_json(g, include_users=ctx.flag("include_users")) for g in groups]}


def list_members(ctx: Context) -> dict[str, Any]:
    return {"ok": True, "users": list(find_group(ctx).users)}


def update_members(ctx: Context) -> dict[str, Any]:
    group = find_group(ctx)
    if "users" not in ctx.args:
        raise SlackError("no_users_provided")
    if not ctx.fake.usergroups_writable:
        raise SlackError("permission_denied")
    user_ids = ctx.id_list("users")
    if not user_ids:
        set_members(ctx, group, [])  # observed in production: the error is returned, the group is emptied anyway
        raise SlackError("invalid_users")
    for user_id in user_ids:
        user = ctx.ws.users.get(user_id)
        if user is None or user.deleted:
            raise SlackError("invalid_users")
        if user.is_ultra_restricted:
            raise SlackError("single_channel_guests_cannot_be_added")
        if user.is_bot or user.is_restricted:
            raise SlackError("invalid_user")
    set_members(ctx, group, list(dict.fromkeys(user_ids)))
    return {"ok": True, "usergroup": usergroup_json(group, include_users=True)}


def set_members(ctx: Context, group: Usergroup, user_ids: list[str]) -> None:
    group.users = user_ids
    group.date_update = int(ctx.ws.now())


HANDLERS = {
    "usergroups.list": list_groups,
    "usergroups.users.list": list_members,
    "usergroups.users.update": update_members,
}
