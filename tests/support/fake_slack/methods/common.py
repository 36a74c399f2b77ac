"""What every method implementation gets (`Context`) and the argument and Block Kit checks they share."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.support import blockkit
from tests.support.fake_slack.auth import Caller
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.state import Workspace

if TYPE_CHECKING:
    from tests.support.fake_slack.fake import FakeSlack

TRUE_VALUES = {"true", "1", "yes"}


@dataclass
class Context:
    method: str
    args: dict[str, Any]
    caller: Caller
    fake: FakeSlack

    @property
    def ws(self) -> Workspace:
        return self.fake.workspace

    def get(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name, default)
        return default if value is None else value

    def require(self, name: str, error: str = "invalid_arguments") -> Any:
        value = self.args.get(name)
        if value is None or value == "":
            raise SlackError(error, **missing_field(name)) if error == "invalid_arguments" else SlackError(error)
        return value

    def id_list(self, name: str) -> list[str]:
        """A comma-separated id list (form) or a JSON array; blanks dropped, order kept."""
        value = self.args.get(name) or ""
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    def flag(self, name: str) -> bool:
        value = self.args.get(name)
        return value is True or (isinstance(value, str) and value.lower() in TRUE_VALUES)


def missing_field(name: str) -> dict[str, Any]:
    return {"response_metadata": {"messages": [f"[ERROR] missing required field: {name}"]}}


def pointer_messages(problems: list[tuple[str, str]]) -> list[str]:
    """Slack reports schema errors as `[ERROR] <message> [json-pointer:<pointer>]` lines."""
    return [f"[ERROR] {message} [json-pointer:{pointer}]" for pointer, message in problems]


def json_arg(ctx: Context, name: str, error: str) -> Any:
    """`blocks`, `view`, `metadata`: JSON in JSON bodies, JSON-encoded strings in form and query arguments."""
    value = ctx.args.get(name)
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except json.JSONDecodeError:
            detail = {"response_metadata": {"messages": [f"[ERROR] {name} is not valid JSON"]}}
            raise SlackError(error, **detail if error == "invalid_arguments" else {}) from None
        ctx.args[name] = value
    return value


def checked_message(ctx: Context, *, text_required: bool = True) -> tuple[str | None, list[dict] | None]:
    """The `text` and `blocks` of a chat.* call, validated as Slack does; blocks get Slack-generated ids."""
    text = ctx.args.get("text")
    blocks = json_arg(ctx, "blocks", "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if text_required and not text and not blocks:
        raise SlackError("no_text")
    problems = blockkit.message_errors(blocks, text)
    if any(pointer == "/text" for pointer, _ in problems):
        raise SlackError("msg_too_long")
    if problems:
        raise SlackError("invalid_blocks", errors=[f"{m} [json-pointer:{p}]" for p, m in problems],
                         response_metadata={"messages": pointer_messages(problems)})
    if blocks and not text:
        ctx.fake.warn(ctx.method, "blocks without a top-level text: notifications and screen readers get nothing")
    return text, fill_generated_ids(blocks) if blocks is not None else None


def checked_view(ctx: Context) -> dict:
    view = json_arg(ctx, "view", "invalid_arguments")
    if view is None:
        raise SlackError("invalid_arguments", **missing_field("view"))
    problems = blockkit.view_errors(view)
    if any(message.startswith("view is ") for _, message in problems):
        raise SlackError("view_too_large")
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": pointer_messages(problems)})
    view = dict(view)
    view["blocks"] = fill_generated_ids(view.get("blocks", []))
    return view


def fill_generated_ids(blocks: list[dict]) -> list[dict]:
    """Slack gives every block a block_id and every interactive element an action_id if the app left them out."""
    filled = []
    for block in json.loads(json.dumps(blocks)):
        block.setdefault("block_id", secrets.token_urlsafe(4)[:5])
        for _, element in blockkit.block_elements(block):
            if element.get("type") not in (None, "image"):
                element.setdefault("action_id", secrets.token_urlsafe(4)[:5])
        filled.append(block)
    return filled
