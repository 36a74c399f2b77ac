"""IT's alert for access that could not be removed, in every state: failing (with Retry), retrying,
removed. One renderer, so the alert is redrawn the same way whatever ended it."""

from __future__ import annotations

from bot.domain.enums import ActionStatus, GrantStatus
from bot.slack.ids import Action, Block
from bot.slack.it_refs import ActionRef
from bot.slack.readmodels.alert import RevokeAlert
from bot.slack.readmodels.task import END_REASONS
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md

FAILED = (ActionStatus.FAILED_RETRYABLE, ActionStatus.FAILED_PERMANENT)
REMOVED = (GrantStatus.REVOKED, GrantStatus.EXPIRED)


def render_revoke_alert(alert: RevokeAlert) -> ui.Rendered:
    label, who = md.escape(alert.entitlement.label), md.person(alert.holder.name, alert.holder.slack_user_id)
    removed = alert.grant_status in REMOVED
    head = "✅ Access removed after all" if removed else "⚠️ Access could not be removed"
    blocks = [ui.header(head),
              ui.section(f"{who} {'no longer has' if removed else 'still has'} *{label}* on "
                         f"`{md.escape(alert.connector)}`.")]
    blocks += ui.fields([("Person", f"{who}\n{md.escape(alert.holder.email)}"),
                         ("Access", f"{label}\n`{md.escape(alert.entitlement.ref)}`"),
                         ("System", f"`{md.escape(alert.connector)}`"),
                         ("Attempts", str(alert.attempts)),
                         ("Why it is ending", md.escape(END_REASONS.get(alert.end_reason, alert.end_reason or ""))),
                         ("Error", md.escape(md.truncate(alert.error, 1500)) if not removed else "")])
    blocks += _state_blocks(alert)
    return ui.Rendered(_fallback(alert), blocks)


def _fallback(alert: RevokeAlert) -> md.Mrkdwn:
    parts = dict(label=alert.entitlement.label, who=alert.holder.name, system=alert.connector)
    if alert.grant_status in REMOVED:
        return md.compose("Removed after all: {label} of {who} on {system}", **parts)
    return md.compose("Could not remove {label} of {who} on {system}: {error}", **parts,
                      error=md.truncate(alert.error or "", 500))


def render_still_failing(alert: RevokeAlert) -> ui.Rendered:
    """The threaded reply under an alert whose Retry failed again."""
    return ui.message(f"❌ Still failing after {alert.attempts} attempts: {md.escape(md.truncate(alert.error, 500))}")


def _state_blocks(alert: RevokeAlert) -> list[dict]:
    if alert.grant_status in REMOVED:
        at = f" · {md.date(alert.ended_at)}" if alert.ended_at else ""
        return [ui.context(f"✅ Removed{at}", block_id=Block.OUTCOME)]
    if alert.action_status not in FAILED:
        return [ui.context("⏳ Retrying now…", block_id=Block.OUTCOME)]
    retry = ui.button("Retry", Action.RETRY_ACTION, ActionRef(action_id=alert.action_id).dump(), style="primary")
    if alert.action_status == ActionStatus.FAILED_RETRYABLE and alert.next_attempt_at:
        when = f"accessbot tries again by itself {md.date(alert.next_attempt_at)}"
    else:
        when = "accessbot will not try again by itself"
    return [ui.actions(retry, block_id=Block.ALERT_ACTIONS),
            ui.context(f"{when} · fix the cause, then Retry · only IT admins can retry")]
