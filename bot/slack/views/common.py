"""Block Kit building blocks shared by every renderer, made with slack_sdk's models so a wrong key or a
limit slack_sdk knows fails here rather than in Slack. Renderers return ``Rendered`` (a message) or a
view dict; both always carry plain fallback text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.ids import Callback
from bot.slack.views.mrkdwn import Mrkdwn, first_line, truncate

SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
CONTEXT_LIMIT = 2000
MODAL_TITLE_LIMIT = 24
BUTTON_TEXT_LIMIT = 75


@dataclass(frozen=True)
class Rendered:
    """A message: ``text`` is the notification/fallback line (always sent), ``blocks`` the layout.

    ``text`` must be ``Mrkdwn`` (``md.compose`` or ``md.first_line``): Slack parses it for mentions
    and links like any mrkdwn, and notifications show it, so a raw name here would broadcast."""

    text: Mrkdwn
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.text, Mrkdwn):
            raise TypeError("Rendered.text must be built with md.compose() or md.first_line(), "
                            f"not a plain str: {self.text[:60]!r}")


def message(text: str, *notes: str, block_id: str | None = None) -> Rendered:
    """A one-section message (and context lines); its notification line is the section's first line."""
    blocks = [section(text, block_id=block_id)]
    if any(notes):
        blocks.append(context(*notes))
    return Rendered(first_line(text), blocks)


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> MarkdownTextObject:
    # verbatim: our mrkdwn already holds every link and mention we want; nothing is auto-linked.
    return MarkdownTextObject(text=truncate(text, limit), verbatim=True)


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit), emoji=True)


def header(text: str) -> dict:
    return HeaderBlock(text=plain(text, HEADER_LIMIT)).to_dict()


def section(text: str, *, block_id: str | None = None, accessory: Any = None) -> dict:
    return SectionBlock(text=mrkdwn(text), block_id=block_id, accessory=accessory).to_dict()


def fields(pairs: list[tuple[str, str]], *, block_id: str | None = None) -> list[dict]:
    """Label/value pairs as section fields (Slack shows two columns; at most 10 fields per section)."""
    items = [mrkdwn(f"*{label}*\n{value}", FIELD_LIMIT) for label, value in pairs if value]
    blocks = []
    for start in range(0, len(items), 10):
        chunk_id = block_id if start == 0 else (f"{block_id}-{start}" if block_id else None)
        blocks.append(SectionBlock(fields=items[start:start + 10], block_id=chunk_id).to_dict())
    return blocks


def context(*texts: str, block_id: str | None = None) -> dict:
    elements = [mrkdwn(t, CONTEXT_LIMIT) for t in texts if t][:10]
    return ContextBlock(elements=elements, block_id=block_id).to_dict()


def divider() -> dict:
    return DividerBlock().to_dict()


def confirm(title: str, text: str, yes: str, no: str = "Cancel", *, danger: bool = False) -> ConfirmObject:
    return ConfirmObject(title=plain(title, 100), text=mrkdwn(text, 300), confirm=plain(yes, 30),
                         deny=plain(no, 30), style="danger" if danger else "primary")


def button(text: str, action_id: str, value: str | None = None, *, style: str | None = None,
           confirm_with: ConfirmObject | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text, BUTTON_TEXT_LIMIT), action_id=action_id, value=value, style=style,
                         confirm=confirm_with)


def actions(*elements: ButtonElement, block_id: str | None = None) -> dict:
    return ActionsBlock(elements=list(elements), block_id=block_id).to_dict()


def modal(*, callback_id: str, title: str, blocks: list[dict], submit: str | None = None,
          close: str = "Cancel", private_metadata: str | None = None, notify_on_close: bool = False) -> dict:
    return View(type="modal", callback_id=callback_id, title=plain(title, MODAL_TITLE_LIMIT),
                submit=plain(submit, MODAL_TITLE_LIMIT) if submit else None, close=plain(close, MODAL_TITLE_LIMIT),
                blocks=blocks, private_metadata=private_metadata,
                notify_on_close=notify_on_close or None).to_dict()


def notice_modal(title: str, text: str) -> dict:
    """A read-only modal: how a refusal reaches someone who clicked in the App Home (no ephemerals there)."""
    return modal(callback_id=Callback.NOTICE, title=title, close="Close", blocks=[section(text)])
