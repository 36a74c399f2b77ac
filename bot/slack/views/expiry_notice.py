"""The expiry warning DM, in every state of its grant.

While the grant still ends when the warning said, it carries Extend (choices bounded by the policy,
the same modal as the App Home) and Relinquish (with a confirmation). Once the grant was extended,
expired, given up or removed, every warning is redrawn without buttons, saying what happened.
``announced_end`` is the end a copy warned about (kept with the copy, see notices/expiry.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.enums import EndReason, GrantStatus
from bot.slack.ids import Action, Block
from bot.slack.metadata import GrantRef
from bot.slack.readmodels.expiry import ExpiryView
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import time_left

ENDED_TEXT = {
    EndReason.EXPIRED: "🔒 Your access to *{label}* has expired.",
    EndReason.RELINQUISHED: "🔒 You gave up *{label}*; it has been removed.",
    EndReason.OFFBOARDED: "🔒 *{label}* was removed (offboarding).",
    EndReason.POLICY: "🔒 *{label}* was removed: your role no longer allows it.",
}


def render_expiry_warning(model: ExpiryView, announced_end: datetime | None, now: datetime) -> ui.Rendered:
    grant, label = model.grant, md.escape(model.grant.entitlement.label)
    if grant.status == GrantStatus.ACTIVE and not _extended(grant.ends_at, announced_end):
        return _warning(model, label, now)
    text = _outcome(model, label)
    return ui.message(text, block_id=Block.OUTCOME)


def _extended(ends_at: datetime | None, announced_end: datetime | None) -> bool:
    return ends_at is None or (announced_end is not None and ends_at > announced_end)


def _warning(model: ExpiryView, label: str, now: datetime) -> ui.Rendered:
    ends_at = model.grant.ends_at
    left = time_left(ends_at, now)
    blocks = [ui.section(f"⏳ Your access to *{label}* ends {md.date(ends_at)} ({left}).")]
    value = GrantRef(grant_id=model.grant.id).dump()
    buttons = []
    if model.extension_request_id is not None:
        blocks.append(ui.context(f"📨 Extension requested (request #{model.extension_request_id}): waiting for "
                                 "approval. I'll tell you when it is decided."))
    elif model.extend_choices:
        buttons.append(ui.button("Extend…", Action.EXTEND_GRANT, value, style="primary"))
    buttons.append(ui.button("Relinquish now", Action.RELINQUISH_GRANT, value, confirm_with=ui.confirm(
        "Give up this access now?", f"*{label}* is removed right away instead of {md.date(ends_at)}.",
        "Relinquish", "Keep it", danger=True)))
    blocks.append(ui.actions(*buttons, block_id=Block.EXPIRY_ACTIONS))
    if not model.extend_choices and model.extension_request_id is None:
        blocks.append(ui.context("It cannot be extended any further: the policy's maximum is reached. "
                                 "Request it again with /access once it has ended."))
    return ui.Rendered(md.compose("Your access to {label} ends soon ({left})", label=model.grant.entitlement.label,
                                  left=left), blocks)


def _outcome(model: ExpiryView, label: str) -> str:
    grant = model.grant
    match grant.status:
        case GrantStatus.ACTIVE if grant.ends_at is None:
            return f"✅ *{label}* no longer expires."
        case GrantStatus.ACTIVE:
            return f"✅ Extended: *{label}* now ends {md.date(grant.ends_at)}."
        case GrantStatus.REVOKING | GrantStatus.REVOKE_FAILED:
            return f"⏳ *{label}* is being removed."
        case GrantStatus.EXPIRED | GrantStatus.REVOKED:
            by = md.person(grant.ended_by.name, grant.ended_by.slack_user_id) if grant.ended_by else "an admin"
            template = ENDED_TEXT.get(grant.end_reason, "🔒 *{label}* was removed by {by}.")
            return template.format(label=label, by=by)
        case _:
            return f"*{label}* is {grant.status.replace('_', ' ')}."
