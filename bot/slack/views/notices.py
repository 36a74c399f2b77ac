"""Short DMs to the person whose access changed: approved, denied, set up, failed, ended."""

from __future__ import annotations

from bot.domain.enums import EndReason
from bot.slack.readmodels.grant import GrantView
from bot.slack.readmodels.request import RequestCard
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import duration_text


def request_approved(card: RequestCard) -> ui.Rendered:
    label = md.escape(card.entitlement.label)
    if card.auto_approved:
        head = f"✅ Your request #{card.id} for *{label}* was approved automatically by policy."
    else:
        by = md.person(card.decided_by.name, card.decided_by.slack_user_id) if card.decided_by else "your approvers"
        head = f"✅ Your request #{card.id} for *{label}* was approved by {by}."
    if card.starts_at:
        tail = f" It starts {md.date(card.starts_at)}."
    elif card.extends_grant_id:
        tail = " Your current access is being extended."
    else:
        tail = " Setting it up now; I'll tell you when it's ready."
    return ui.message(head + tail, f"Duration: {duration_text(card.duration)}")


def request_denied(card: RequestCard) -> ui.Rendered:
    by = md.person(card.decided_by.name, card.decided_by.slack_user_id) if card.decided_by else "an approver"
    reason = f"\n{md.quote(md.escape(card.decision_reason))}" if card.decision_reason else ""
    return ui.message(f"❌ Your request #{card.id} for *{md.escape(card.entitlement.label)}* was denied by {by}.{reason}",
                    "You can ask again with more context, or talk to the approver.")


def request_timed_out(card: RequestCard) -> ui.Rendered:
    return ui.message(f"⌛ Your request #{card.id} for *{md.escape(card.entitlement.label)}* expired: nobody decided "
                    "in time.", "Ask again if you still need it.")


def grant_activated(grant: GrantView) -> ui.Rendered:
    until = f" until {md.date(grant.ends_at)}" if grant.ends_at else " (permanent)"
    return ui.message(f"🔓 You now have *{md.escape(grant.entitlement.label)}*{until}.",
                    "It ends by itself; relinquish it from the App Home when you are done.")


def grant_failed(grant: GrantView) -> ui.Rendered:
    return ui.message(f"⚠️ *{md.escape(grant.entitlement.label)}* could not be set up for you, so you do not have it.",
                    "IT can see what went wrong and retry it; ask them if you still need it.")


def grant_ended(grant: GrantView) -> ui.Rendered:
    label = md.escape(grant.entitlement.label)
    match grant.end_reason:
        case EndReason.EXPIRED:
            text = f"🔒 Your access to *{label}* has expired."
        case EndReason.RELINQUISHED:
            text = f"🔒 You gave up *{label}*; it has been removed."
        case _:
            by = f" by {md.person(grant.ended_by.name, grant.ended_by.slack_user_id)}" if grant.ended_by else ""
            text = f"🔒 Your access to *{label}* was removed{by}."
    return ui.message(text, "Need it again? Request it from the App Home or with /access.")
