"""Where a user clicks: the blocks the app actually rendered on the fake, and the element inside them.

A surface is a message `(channel, ts)`, a Message / Ephemeral / View snapshot (an older rendering, to play
races), a view id, or "home". Only the user who can see a surface may press its elements, and only elements
that are there: anything else fails the test with the list of what was rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support import blockkit
from tests.support.fake_slack.fake import FakeSlack
from tests.support.fake_slack.snapshots import Ephemeral, Message, View

SurfaceRef = Any  # tuple[str, str] | Message | Ephemeral | View | str (view id or "home")


@dataclass(frozen=True)
class Surface:
    kind: str  # "message", "ephemeral" or "view"
    blocks: list[dict]
    snapshot: Message | Ephemeral | View

    @property
    def view(self) -> View | None:
        return self.snapshot if isinstance(self.snapshot, View) else None


def resolve_surface(fake: FakeSlack, user: str, on: SurfaceRef) -> Surface:
    if isinstance(on, tuple):
        message = fake.message(*on)
        if message is None or message.deleted:
            raise AssertionError(f"no message {on} on the fake (never posted, or deleted)")
        on = message
    if on == "home":
        on = fake.home(user)
        if on is None:
            raise AssertionError(f"{user} has no published Home view")
    elif isinstance(on, str):
        view = fake.view(on)
        if view is None or view.closed:
            raise AssertionError(f"view {on} is not open")
        on = view
    if isinstance(on, Message):
        if not fake.sees_channel(user, on.channel):
            raise AssertionError(f"{user} cannot see channel {on.channel}")
        return Surface("message", on.blocks, on)
    if isinstance(on, Ephemeral):
        if on.user != user or not any(e.message_ts == on.message_ts for e in fake.ephemerals(user)):
            raise AssertionError(f"{user} does not see ephemeral {on.message_ts}")
        return Surface("ephemeral", on.blocks, on)
    if isinstance(on, View):
        if on.user != user:
            raise AssertionError(f"view {on.id} belongs to {on.user}, not {user}")
        return Surface("view", on.blocks, on)
    raise TypeError(f"cannot click on {on!r}")


def find_element(blocks: list[dict], *, action_id: str, text: str | None = None, block_id: str | None = None,
                 types: frozenset[str] | None = None) -> tuple[dict, dict]:
    """The one rendered element matching; fails when there is none or more than one."""
    rendered = [(block, element) for block in blocks for _, element in blockkit.block_elements(block)]
    found = [(b, e) for b, e in rendered
             if e.get("action_id") == action_id and (block_id is None or b.get("block_id") == block_id)
             and (text is None or label(e).casefold() == text.casefold())
             and (types is None or e.get("type") in types)]
    if len(found) == 1:
        return found[0]
    shown = [f"{b.get('block_id')}/{e.get('action_id')} {e.get('type')} {label(e)!r}" for b, e in rendered]
    wanted = f"action_id={action_id!r}" + (f" text={text!r}" if text else "") + (
        f" block_id={block_id!r}" if block_id else "")
    problem = "was never rendered" if not found else f"matches {len(found)} elements; pass text= or block_id="
    raise AssertionError(f"{wanted} {problem}. Rendered: {shown}")


def label(element: dict) -> str:
    text = element.get("text")
    return text.get("text", "") if isinstance(text, dict) else ""


def input_elements(blocks: list[dict]) -> list[tuple[dict, dict]]:
    return [(b, b["element"]) for b in blocks if b.get("type") == "input" and isinstance(b.get("element"), dict)]
