"""IT's offboarding message, in every state: waiting for a second IT admin (Confirm / Cancel),
scheduled (Cancel), running (systems tick off as they finish), waiting, done, partly failed (with
Retry), cancelled. Redrawn in place by the notifier as the engine
reports progress, so the channel holds one message per offboarding."""

from __future__ import annotations

from bot.offboarding import report as reports
from bot.slack.ids import Action, Block
from bot.slack.it_refs import OffboardingRef
from bot.slack.readmodels.offboarding import OffboardingView
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.offboard_modal import cancel_button

MAX_SYSTEMS = 40  # one section each; a message holds at most 50 blocks
HEADLINES = {
    "unconfirmed": "🔐 Waiting for a second IT admin",
    "scheduled": "🗓 Scheduled",
    "running": "⏳ Running",
    "waiting": "⏳ Waiting for the last steps",
    "partial": "❌ Finished, with failures",
    "done": "✅ Done: everything is removed",
    "cancelled": "🚫 Cancelled",
}


def render_offboard_report(view: OffboardingView) -> ui.Rendered:
    report = view.report
    who = md.person(view.person.name, view.person.slack_user_id)
    blocks = [ui.header(f"Offboarding #{report.offboarding_id}: {view.person.name}"),
              ui.section(f"*{HEADLINES.get(report.status, report.status)}* · {who} ({md.escape(view.person.email)})"
                         + _when(report))]
    if report.reason:
        blocks.append(ui.context(f"Reason: {md.escape(report.reason)}"))
    blocks += _four_eyes(view)
    blocks += _systems(report)
    extras = _extras(report)
    if extras:
        blocks.append(ui.context(*extras))
    buttons = _buttons(report)
    if buttons:
        blocks.append(ui.actions(*buttons, block_id=Block.OFFBOARD_ACTIONS))
    blocks.append(ui.context(_footer(view)))
    return ui.Rendered(_fallback(view), blocks)


def _buttons(report: reports.OffboardReport) -> list:
    ref = OffboardingRef(offboarding_id=report.offboarding_id).dump()
    if report.status == "unconfirmed":
        when = f"on {md.date(report.scheduled_for)}" if report.scheduled_for else "now"
        return [ui.button("Confirm offboarding", Action.CONFIRM_OFFBOARDING, ref, style="primary",
                          confirm_with=ui.confirm("Confirm this offboarding?",
                                                  f"Offboarding #{report.offboarding_id} {'starts' if when == 'now' else 'is scheduled'} "
                                                  f"{when}: every account and grant of {md.escape(report.person_email)} "
                                                  "is removed.", "Confirm")),
                cancel_button(report.offboarding_id, "Cancel")]
    if report.status == "scheduled":
        return [cancel_button(report.offboarding_id)]
    if report.failed and report.status != "cancelled":
        return [ui.button("Retry what failed", Action.RETRY_OFFBOARDING, ref, style="primary")]
    return []


def _four_eyes(view: OffboardingView) -> list[dict]:
    """Who asked, who confirmed (or broke the glass), who cancelled: the trail IT reviews."""
    report = view.report
    confirmation, lines = report.confirmation, []
    held = ", ".join(f"`{md.escape(ref)}`" for ref in confirmation.get("privileged") or [])
    if confirmation.get("break_glass"):
        lines.append(f"🔓 *Break glass* by {_who(view, confirmation.get('asked_by'))}: no second IT admin confirmed "
                     f"it. Reason: {md.escape(confirmation.get('reason') or '')}")
    elif report.status == "unconfirmed":
        lines.append(f"{_who(view, confirmation.get('asked_by'))} asked for it"
                     + (f"; they hold privileged access: {held}" if held else "")
                     + ". A *different* IT admin must confirm it; nothing changes until then.")
    elif confirmation.get("confirmed_by"):
        lines.append(f"🔐 Asked by {_who(view, confirmation.get('asked_by'))}, confirmed by "
                     f"{_who(view, confirmation.get('confirmed_by'))}" + (f" (privileged access: {held})" if held else ""))
    if report.cancelled:
        lines.append(f"Cancelled by {_who(view, report.cancelled.get('by'))}: "
                     f"{md.escape(report.cancelled.get('reason') or '')}")
    return [ui.context(*lines)] if lines else []


def _who(view: OffboardingView, label: str | None) -> str:
    person = view.people.get(label or "")
    return md.person(person.name, person.slack_user_id) if person else md.escape(label or "someone")


def _when(report: reports.OffboardReport) -> str:
    if report.status == "scheduled" and report.scheduled_for:
        return f"\nAll access ends {md.date(report.scheduled_for)}."
    if report.status in ("running", "waiting") and report.systems:
        finished = sum(1 for x in report.systems if x.state != reports.PENDING)
        return f"\n{finished} of {len(report.systems)} systems finished."
    return ""


def _systems(report: reports.OffboardReport) -> list[dict]:
    blocks = []
    for system in report.systems[:MAX_SYSTEMS]:
        lines = [f"        {item.mark} {md.escape(item.what)}" + ("" if item.state == reports.OK and item.reason == "done"
                                                          else f": {md.escape(item.reason)}")
                 for item in system.items]
        blocks.append(ui.section(f"{system.mark} *{md.escape(system.system)}*\n" + "\n".join(lines)))
    hidden = report.systems[MAX_SYSTEMS:]
    if hidden:
        blocks.append(ui.context(" ".join(f"{x.mark} {md.escape(x.system)}" for x in hidden)))
    return blocks


def _extras(report: reports.OffboardReport) -> list[str]:
    extras = []
    if report.no_account:
        extras.append(f"No account in: {', '.join(md.escape(n) for n in report.no_account)}")
    if report.requests_cancelled:
        extras.append(f"Pending requests cancelled: {', '.join(f'#{i}' for i in report.requests_cancelled)}")
    if report.approvals_rerouted:
        extras.append(f"Approvals moved to someone else: {', '.join(f'#{i}' for i in report.approvals_rerouted)}")
    if report.still_ending:
        extras.append(f"Also being removed elsewhere: {', '.join(f'grant #{i}' for i in report.still_ending)}")
    return extras


def _footer(view: OffboardingView) -> str:
    report = view.report
    asker = (md.person(view.requested_by.name, view.requested_by.slack_user_id) if view.requested_by
             else md.escape(report.requested_by))
    times = f" · started {md.date(report.started_at)}" if report.started_at else ""
    times += f" · finished {md.date(report.finished_at)}" if report.finished_at else ""
    totals = (f" · {report.count(reports.OK)} done, {report.count(reports.FAILED)} failed, "
              f"{report.count(reports.PENDING)} pending") if report.systems else ""
    return f"Offboarding #{report.offboarding_id} · requested by {asker}{times}{totals}"


def _fallback(view: OffboardingView) -> md.Mrkdwn:
    report = view.report
    head = HEADLINES.get(report.status, report.status).split(" ", 1)[-1]
    return md.compose("Offboarding #{id} of {who}: {head}", id=report.offboarding_id, who=view.person.name, head=head)
