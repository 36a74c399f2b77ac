"""Threaded nudges about a pending request: the reminder, a later step's ping, new approvers after an
escalation or re-routing. They point at the card people already have, never a second card."""

from __future__ import annotations

from bot.slack.readmodels.request import PersonInfo, RequestCard, StepInfo
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md


def _what(card: RequestCard) -> str:
    return (f"request #{card.id} from {md.person(card.requester.name, card.requester.slack_user_id)} for "
            f"*{md.escape(card.entitlement.label)}* (asked {md.date(card.created_at)})")


def _reminder_line(card: RequestCard) -> md.Mrkdwn:
    return md.compose("Reminder: request #{id} from {who} is waiting for your decision", id=card.id,
                      who=card.requester.name)


def render_channel_reminder(card: RequestCard, waiting: list[PersonInfo]) -> ui.Rendered:
    """In the thread of the approvals channel's card, naming those who have not voted."""
    text = f"⏰ {md.people(waiting)}: {_what(card)} is still waiting for a decision (the card above)."
    return ui.Rendered(_reminder_line(card), [ui.section(text)])


def render_dm_reminder(card: RequestCard) -> ui.Rendered:
    text = (f"⏰ Reminder: {_what(card)} is still waiting for your decision. Approve or deny it on the card "
            "I sent you, or from my App Home.")
    return ui.Rendered(_reminder_line(card), [ui.section(text)])


def render_new_approvers(card: RequestCard, added: list[PersonInfo]) -> ui.Rendered:
    return ui.message(f"{md.people(added)}: request #{card.id} now needs your decision too (the card above).")


def render_step_ping(card: RequestCard, step: StepInfo) -> ui.Rendered:
    """Editing the channel card notifies nobody, so a later step's approvers are mentioned in its thread."""
    return ui.message(f"{md.people(step.approvers)}: request #{card.id} now needs your approval "
                      f"({md.escape(step.label)}).")
