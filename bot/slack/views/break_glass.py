"""Break-glass surfaces: the confirmation form, the messages to the IT/security channel, to those told
and to the reviewer, and the reviewer's reason form."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import CheckboxesElement, InputBlock, Option, PlainTextInputElement, StaticSelectElement

from bot.slack.ids import Action, Block, Callback
from bot.slack.metadata import Meta
from bot.slack.readmodels.break_glass import BreakGlassView
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.request_modal import JUSTIFICATION_MAX, TICKET_MAX, duration_option
from policies import humanize

VERDICT_TEXT = {"justified": "✅ reviewed: justified", "not_justified": "🚨 reviewed: NOT justified"}


class BreakGlassMeta(Meta):
    """The confirmation form remembers the entitlement it was opened for (re-checked on submit)."""

    ref: str


class BreakGlassReviewRef(Meta):
    use_id: int
    verdict: str
    version: int


def render_break_glass_form(label: str, *, meta: str, choices: tuple[timedelta, ...], uses_left: int,
                            budget: str, told: tuple[str, ...], reviewers: tuple[str, ...],
                            review_within: timedelta, require_ticket: bool, ticket_pattern: str | None) -> dict:
    """``told`` and ``reviewers``: plain sentences and names (escaped here)."""
    who = ", ".join(md.escape(t) for t in told) or "nobody (no channel or approver is configured)"
    by = ", ".join(md.escape(r) for r in reviewers) or "IT"
    blocks = [
        ui.section(f"🚨 *Emergency access to {md.escape(label)}*, at once and without approval.\n"
                   f"• {who} will be told right away.\n"
                   f"• {by} will review it within {humanize(review_within)} of its end.\n"
                   f"• You have *{uses_left}* of {md.escape(budget)} left."),
        InputBlock(block_id=Block.DURATION, label=ui.plain("For how long"), element=StaticSelectElement(
            action_id=Action.DURATION, options=[duration_option(c) for c in choices],
            initial_option=duration_option(choices[-1]))).to_dict(),
        InputBlock(block_id=Block.JUSTIFICATION, label=ui.plain("What is the emergency?"),
                   element=PlainTextInputElement(action_id=Action.JUSTIFICATION, multiline=True,
                                                 max_length=JUSTIFICATION_MAX),
                   hint=ui.plain("Your reviewers and the security team read this.")).to_dict(),
        InputBlock(block_id=Block.TICKET, label=ui.plain("Incident or ticket"), optional=not require_ticket,
                   element=PlainTextInputElement(action_id=Action.TICKET, max_length=TICKET_MAX),
                   hint=ui.plain(f"Format: {ticket_pattern}" if ticket_pattern else "An incident reference.")).to_dict(),
        InputBlock(block_id=Block.BREAK_GLASS_CONFIRM, label=ui.plain("Confirm"), element=CheckboxesElement(
            action_id=Action.BREAK_GLASS_CONFIRM, options=[Option(
                value="confirm", text=ui.plain("This is an emergency and I accept the review"))])).to_dict(),
    ]
    return ui.modal(callback_id=Callback.BREAK_GLASS, title="Break glass", submit="Break glass", blocks=blocks,
                    private_metadata=meta)


def render_break_glass_refused(label: str, reason: str) -> dict:
    """Opened where it cannot be used now (budget spent, a review overdue, not eligible)."""
    return ui.notice_modal("Break glass", f"🚫 No emergency access to *{md.escape(label)}* now: {md.escape(reason)}")


def render_break_glass_done(use: BreakGlassView) -> dict:
    return ui.modal(callback_id=Callback.NOTICE, title="Break glass", close="Done", blocks=[ui.section(
        f"🚨 Break-glass #{use.id}: *{md.escape(use.label)}* is being set up now, until {md.date(use.ends_at)}. "
        "I'll DM you when it is ready. This use will be reviewed.")])


def _status(use: BreakGlassView) -> str:
    if use.verdict:
        return VERDICT_TEXT[use.verdict]
    return "ended, waiting for review" if use.ended else "active"


def _facts(use: BreakGlassView) -> str:
    ticket = f"\nIncident: {md.escape(use.ticket)}" if use.ticket else ""
    lasted = humanize(use.ends_at - use.used_at)
    return (f"Reason:\n{md.quote(md.escape(use.reason))}{ticket}\n"
            f"Access: {md.date(use.used_at)} → {md.date(use.ends_at)} ({lasted}"
            f"{'' if use.ended else ', planned'})")


def render_break_glass_channel(use: BreakGlassView) -> ui.Rendered:
    """The IT/security channel's message, kept up to date: active, ended, reviewed."""
    who = md.person(use.person.name, use.person.slack_user_id)
    head = f"🚨 *Break-glass #{use.id}*: {who} took *{md.escape(use.label)}* without approval ({_status(use)})"
    review = ""
    if use.verdict and use.reviewed_by:
        review = (f"\nReviewed by {md.person(use.reviewed_by.name, use.reviewed_by.slack_user_id)}:\n"
                  f"{md.quote(md.escape(use.review_reason))}")
    reviewers = md.people(use.reviewers) or "IT"
    return ui.message(f"{head}\n{_facts(use)}{review}", f"Review by {reviewers}, due {md.date(use.review_due_at)}")


def render_break_glass_told(use: BreakGlassView) -> ui.Rendered:
    """To the entitlement's approvers and the person's manager: nothing to decide, for their information."""
    who = md.person(use.person.name, use.person.slack_user_id)
    return ui.message(f"🚨 {who} used break-glass for *{md.escape(use.label)}* (#{use.id}): no approval was asked.\n"
                      f"{_facts(use)}", "For your information; the review is done by " +
                      (md.people(use.reviewers) or "IT") + ".")


def render_break_glass_review(use: BreakGlassView) -> ui.Rendered:
    """The reviewer's item: what the person said, how long the access lasted, and the two verdicts."""
    who = md.person(use.person.name, use.person.slack_user_id)
    text = f"🔎 *Review break-glass #{use.id}*: {who} took *{md.escape(use.label)}* without approval.\n{_facts(use)}"
    blocks = [ui.section(text)]
    if use.verdict:
        by = md.person(use.reviewed_by.name, use.reviewed_by.slack_user_id) if use.reviewed_by else "someone"
        blocks.append(ui.context(f"{VERDICT_TEXT[use.verdict]} by {by}: {md.escape(use.review_reason)}"))
    else:
        blocks.append(ui.actions(
            ui.button("Justified", Action.BREAK_GLASS_JUSTIFIED, BreakGlassReviewRef(
                use_id=use.id, verdict="justified", version=use.version).dump(), style="primary"),
            ui.button("Not justified", Action.BREAK_GLASS_NOT_JUSTIFIED, BreakGlassReviewRef(
                use_id=use.id, verdict="not_justified", version=use.version).dump(), style="danger"),
            block_id=Block.BREAK_GLASS_REVIEW_ACTIONS))
        blocks.append(ui.context(f"Due {md.date(use.review_due_at)}"))
    return ui.Rendered(md.first_line(text), blocks)


def render_break_glass_escalation(use: BreakGlassView) -> ui.Rendered:
    """Not justified, or its review overdue: said in the IT/security channel's thread, loudly."""
    who = md.person(use.person.name, use.person.slack_user_id)
    if use.verdict == "not_justified":
        by = md.person(use.reviewed_by.name, use.reviewed_by.slack_user_id) if use.reviewed_by else "the reviewer"
        text = (f"🚨 Break-glass #{use.id} by {who} was reviewed *not justified* by {by}:\n"
                f"{md.quote(md.escape(use.review_reason))}")
    else:
        text = f"⏰ Break-glass #{use.id} by {who} is past its review deadline and not reviewed yet."
    return ui.message(text, "IT/security: follow up with the person and their manager.")


def render_review_reason_modal(meta: str, verdict: str) -> dict:
    title = "Justified" if verdict == "justified" else "Not justified"
    return ui.modal(callback_id=Callback.BREAK_GLASS_REVIEW, title=title, submit="Save review",
                    private_metadata=meta, blocks=[ui.context("Your verdict and reason go to the audit log."), InputBlock(
                        block_id=Block.BREAK_GLASS_REVIEW_REASON, label=ui.plain("Why?"),
                        element=PlainTextInputElement(action_id=Action.BREAK_GLASS_REVIEW_REASON, multiline=True,
                                                      max_length=JUSTIFICATION_MAX),
                        hint=ui.plain("The person and IT/security read this." + (
                            " Not justified is escalated to IT/security." if verdict != "justified" else ""))
                    ).to_dict()])
