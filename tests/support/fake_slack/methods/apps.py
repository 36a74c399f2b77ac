"""auth.test, apps.connections.open (Socket Mode) and blocks.validate."""

from __future__ import annotations

from typing import Any

from tests.support import blockkit
from tests.support.fake_slack.methods.common import Context, json_arg, missing_field
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID


def auth_test(ctx: Context) -> dict[str, Any]:
    return {
        "ok": True, "url": f"https://{TEAM_DOMAIN}.slack.com/", "team": "accessbot test", "user": "accessbot",
        "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
    }


def connections_open(ctx: Context) -> dict[str, Any]:
    return {"ok": True, "url": ctx.fake.socket_link.issue_url()}


def validate_blocks(ctx: Context) -> dict[str, Any]:
    given = [name for name in ("blocks", "message", "view") if ctx.args.get(name) not in (None, "")]
    if len(given) != 1:
        raise SlackError("invalid_arguments", **missing_field("blocks|message|view"))
    kind = given[0]
    value = json_arg(ctx, kind, "invalid_arguments")
    if kind == "blocks":
        problems = blockkit.message_errors(value)
    elif kind == "message":
        value = value if isinstance(value, dict) else {}
        problems = blockkit.message_errors(value.get("blocks"), value.get("text"))
    else:
        problems = blockkit.view_errors(value)
    if not problems:
        return {"ok": True}
    errors = [{"pointer": pointer, "code": "invalid", "message": message, "constraint": None}
              for pointer, message in problems]
    raise SlackError(f"invalid_{kind}", errors=errors)


HANDLERS = {
    "auth.test": auth_test,
    "apps.connections.open": connections_open,
    "blocks.validate": validate_blocks,
}
