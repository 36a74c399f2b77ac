"""The request card: one renderer for every copy (approver DMs, the approvals channel, the requester's
DM) in every state, so a decision redraws them all the same way.

Pending copies for someone who may vote carry Approve (with a confirmation for high and critical risk)
and Deny; the requester's copy carries Cancel; every other state replaces the buttons with who decided
what and when. Button values hold the request id only: the domain authorises each click.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.enums import GrantStatus, RequestStatus
from bot.slack.ids import Action, Block
from bot.slack.metadata import RequestRef
from bot.slack.readmodels.request import RequestCard, StepInfo
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import duration_text, person_line, risk_text

CONFIRM_RISKS = ("high", "critical")


class Audience(StrEnum):
    APPROVER = "approver"  # an approver's DM
    CHANNEL = "channel"  # the approvals channel (anyone there may click; the domain decides)
    REQUESTER = "requester"


@dataclass(frozen=True)
class Viewer:
    audience: Audience
    person_id: int | None = None


def render_request_card(card: RequestCard, viewer: Viewer) -> ui.Rendered:
    blocks = [ui.header(f"Access request #{card.id}: {card.entitlement.label}"), ui.section(_summary(card))]
    blocks += ui.fields(_facts(card))
    if card.bundle is not None:
        blocks.append(ui.section(_bundle_lines(card)))
    if card.justification:
        blocks.append(ui.section(f"*Why*\n{md.quote(md.escape(card.justification))}"))
    if card.on_call_fallback:  # the requester learns why it waits; approvers, why it came to them
        blocks.append(ui.context(md.compose("ℹ️ {reason}", reason=card.on_call_fallback)))
    if viewer.audience != Audience.REQUESTER:
        blocks.append(ui.section(_holdings(card)))
    blocks += _progress(card)
    blocks += _status_blocks(card, viewer)
    blocks.append(ui.context(f"Request #{card.id} · submitted {md.date(card.created_at)}"
                             + (f" · expires {md.date(card.expires_at)} if undecided" if card.pending and card.expires_at
                                else "")))
    return ui.Rendered(_fallback(card), blocks)


def _fallback(card: RequestCard) -> md.Mrkdwn:
    parts = dict(id=card.id, who=card.requester.name, label=card.entitlement.label,
                 duration=duration_text(card.duration))
    match card.status:
        case RequestStatus.PENDING:
            return md.compose("Access request #{id} from {who}: {label} ({duration})", **parts)
        case RequestStatus.APPROVED:
            return md.compose("Access request #{id} from {who} for {label} ({duration}) was approved", **parts)
        case RequestStatus.DENIED:
            return md.compose("Access request #{id} from {who} for {label} ({duration}) was denied", **parts)
        case _:
            return md.compose("Access request #{id} from {who} for {label} ({duration}) is {status}", **parts,
                              status=card.status.replace("_", " "))


def _summary(card: RequestCard) -> str:
    start = f", starting {md.date(card.starts_at)}" if card.starts_at else ""
    extends = " (extends access they already have)" if card.extends_grant_id else ""
    return (f"{person_line(card.requester)} asks for *{md.escape(card.entitlement.label)}* "
            f"for *{duration_text(card.duration)}*{start}{extends}")


def _facts(card: RequestCard) -> list[tuple[str, str]]:
    requester = card.requester
    role = " · ".join(md.escape(x) for x in (requester.title, requester.department) if x)
    return [
        ("Requester", md.person(requester.name, requester.slack_user_id)),
        ("Role", role or "—"),
        ("Access", f"{md.escape(card.entitlement.label)}\n`{md.escape(card.entitlement.ref)}`"),
        ("Duration", duration_text(card.duration)),
        ("Ticket", md.escape(card.ticket)),
        ("Risk", risk_text(card.entitlement.risk)),
    ]


def _holdings(card: RequestCard) -> str:
    resource = card.entitlement.resource_id
    if not card.held:
        return f"*Already holds on {md.escape(resource)}:* nothing"
    lines = [f"• {md.escape(h.label)} ({h.status.replace('_', ' ')}"
             + (f", until {md.date(h.ends_at)})" if h.ends_at else ", permanent)") for h in card.held]
    return f"*Already holds on {md.escape(resource)}:*\n" + "\n".join(lines)


def _progress(card: RequestCard) -> list[dict]:
    if not card.steps:
        return []
    lines = [_step_line(step, len(card.steps)) for step in card.steps]
    votes = [f"{'✔' if v.verdict == 'approve' else '✖'} {md.person(v.person.name, v.person.slack_user_id)} "
             f"{v.verdict}d step {step.position + 1} · {md.date(v.at, '{time}')}"
             for step in card.steps for v in step.votes]
    return [ui.context(*lines, *votes[:8])]


def _step_line(step: StepInfo, total: int) -> str:
    who = ", ".join(md.person(p.name, p.slack_user_id) for p in step.approvers[:6]) or "nobody"
    more = f" +{len(step.approvers) - 6}" if len(step.approvers) > 6 else ""
    where = f" in {md.channel(step.channel)}" if step.channel else ""
    return (f"Step {step.position + 1} of {total} · *{md.escape(step.label)}* · {step.approvals} of {step.quorum} "
            f"approval{'s' if step.quorum != 1 else ''} · {step.status} · {who}{more}{where}")


def _status_blocks(card: RequestCard, viewer: Viewer) -> list[dict]:
    if card.pending:
        return _pending_blocks(card, viewer)
    return [ui.context(_outcome(card), block_id=Block.OUTCOME)] + _grant_blocks(card)


def _pending_blocks(card: RequestCard, viewer: Viewer) -> list[dict]:
    step = card.current_step
    value = RequestRef(request_id=card.id).dump()
    if viewer.audience == Audience.REQUESTER:
        waiting = f"⏳ Waiting for {md.escape(step.label) if step else 'approval'}"
        cancel = ui.button("Cancel request", Action.CANCEL_REQUEST, value, confirm_with=ui.confirm(
            "Cancel this request?", f"Request #{card.id} for {md.escape(card.entitlement.label)} will be withdrawn.",
            "Cancel request", "Keep it", danger=True))
        return [ui.context(waiting), ui.actions(cancel, block_id=Block.DECISION)]
    if viewer.audience == Audience.CHANNEL or (step is not None and step.may_vote(viewer.person_id)):
        return [ui.actions(*decision_buttons(card.id, card.entitlement.label, card.entitlement.risk,
                                             card.requester.name), block_id=Block.DECISION)]
    label = md.escape(step.label) if step else "approval"
    return [ui.context(f"⏳ Waiting for {label}: nothing for you to do on this request now.",
                       block_id=Block.OUTCOME)]


def decision_buttons(request_id: int, label: str, risk: str, requester: str) -> list:
    value = RequestRef(request_id=request_id).dump()
    confirm = None
    if risk in CONFIRM_RISKS:
        confirm = ui.confirm(f"Approve {risk}-risk access?",
                             f"{md.escape(requester)} gets *{md.escape(label)}*. Approve only if you are sure.",
                             "Approve")
    return [ui.button("Approve", Action.APPROVE, value, style="primary", confirm_with=confirm),
            ui.button("Deny", Action.DENY, value, style="danger")]


def _outcome(card: RequestCard) -> str:
    at = f" · {md.date(card.decided_at)}" if card.decided_at else ""
    by = f" by {md.person(card.decided_by.name, card.decided_by.slack_user_id)}" if card.decided_by else ""
    reason = f"\n{md.quote(md.escape(card.decision_reason))}" if card.decision_reason else ""
    match card.status:
        case RequestStatus.APPROVED:
            return "✅ Approved automatically by policy" + at if card.auto_approved else f"✅ Approved{by}{at}"
        case RequestStatus.DENIED:
            return f"❌ Denied{by}{at}{reason}"
        case RequestStatus.CANCELLED:
            return f"🚫 Cancelled{at}{reason}"
        case RequestStatus.SUPERSEDED:
            return f"↪️ Replaced by a newer request for the same access{at}"
        case RequestStatus.TIMED_OUT:
            return f"⌛ Expired: nobody decided in time{at}"
        case _:
            return f"{card.status.replace('_', ' ').capitalize()}{at}"


def _bundle_lines(card: RequestCard) -> str:
    """Every entitlement of a bundle request, with how its access is doing once approved."""
    lines = []
    for member in card.bundle.members:
        state = ""
        if card.status == RequestStatus.APPROVED and member.grant is not None:
            state = f" · {_grant_text(member.grant)}"
        lines.append(f"• {md.escape(member.entitlement.label)} `{md.escape(member.entitlement.ref)}` · "
                     f"{risk_text(member.entitlement.risk)}{state}")
    return f"*In this bundle ({len(lines)})*\n" + "\n".join(lines)


def _grant_blocks(card: RequestCard) -> list[dict]:
    grant = card.grant
    if card.status != RequestStatus.APPROVED or grant is None or card.bundle is not None:
        return []
    return [ui.context(_grant_text(grant))]


def _grant_text(grant) -> str:
    until = f" until {md.date(grant.ends_at)}" if grant.ends_at else " (permanent)"
    text = {
        GrantStatus.SCHEDULED: f"🗓 Access starts {md.date(grant.starts_at)}",
        GrantStatus.PROVISIONING: "⏳ Setting up access…",
        GrantStatus.ACTIVE: f"🔓 Access active{until}",
        GrantStatus.REVOKING: "⏳ Removing access…",
        GrantStatus.REVOKE_FAILED: "⚠️ Access could not be removed yet; IT is on it",
        GrantStatus.EXPIRED: "🔒 Access expired",
        GrantStatus.REVOKED: "🔒 Access removed",
        GrantStatus.FAILED: "⚠️ Access could not be set up",
    }.get(grant.status, grant.status)
    return text

