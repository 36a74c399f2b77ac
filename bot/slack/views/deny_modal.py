"""Asking an approver why they deny (the reason goes to the requester and the audit log)."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

from bot.slack.ids import Action, Block, Callback
from bot.slack.metadata import RequestRef
from bot.slack.views import common as ui

REASON_MAX = 500


def render_deny_modal(request_id: int) -> dict:
    reason = InputBlock(block_id=Block.DENY_REASON, label=ui.plain("Why do you deny it?"),
                        element=PlainTextInputElement(action_id=Action.DENY_REASON, multiline=True, min_length=3,
                                                      max_length=REASON_MAX),
                        hint=ui.plain("The requester sees this; it is also kept in the audit log."))
    return ui.modal(callback_id=Callback.DENY, title=f"Deny request #{request_id}", submit="Deny",
                    blocks=[reason.to_dict()], private_metadata=RequestRef(request_id=request_id).dump())
