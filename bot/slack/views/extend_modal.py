"""Asking for more time on a grant (within policy; beyond the self-service limit it needs approval)."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, StaticSelectElement

from bot.slack.ids import Action, Block, Callback
from bot.slack.metadata import GrantRef
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.request_modal import duration_option


def render_extend_modal(grant_id: int, label: str, choices: tuple[timedelta, ...], ends_text: str) -> dict:
    blocks = [ui.section(f"*{md.escape(label)}* {ends_text}.")]
    blocks.append(InputBlock(block_id=Block.DURATION, label=ui.plain("Extend by"), element=StaticSelectElement(
        action_id=Action.EXTEND_BY, options=[duration_option(c) for c in choices],
        initial_option=duration_option(choices[0]))).to_dict())
    blocks.append(InputBlock(block_id=Block.JUSTIFICATION, label=ui.plain("Why (if it needs approval)"), optional=True,
                             element=PlainTextInputElement(action_id=Action.JUSTIFICATION, multiline=True,
                                                           max_length=1000)).to_dict())
    return ui.modal(callback_id=Callback.EXTEND, title="Extend access", submit="Extend", blocks=blocks,
                    private_metadata=GrantRef(grant_id=grant_id).dump())
