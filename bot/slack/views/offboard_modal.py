"""The /offboard confirmation: a "looking it up" modal opened at once with the command's trigger,
then the plan (every account and grant that will be removed, per system, from the connectors' dry
runs) with an optional reason and the Offboard / Schedule button."""

from __future__ import annotations

from collections import defaultdict

from slack_sdk.models.blocks import CheckboxesElement, InputBlock, Option, PlainTextInputElement

from bot.offboarding.plan import OffboardPlan, PlannedStep
from bot.slack.ids import Action, Block, Callback
from bot.slack.it_refs import OffboardingRef
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md

MAX_SYSTEMS = 80  # a modal holds 100 blocks
MAX_LINES = 40  # per system section (3000 characters)
TITLE = "Offboard"


def render_loading(who: str) -> dict:
    return ui.modal(callback_id=Callback.OFFBOARD, title=TITLE, close="Cancel", blocks=[
        ui.section(f"⏳ Looking up everything {who} holds, on every system…"),
        ui.context("Each system is asked what it would do (nothing changes yet); this can take a few seconds.")])


def render_plan(plan: OffboardPlan, *, who: str, when: str | None, meta: str, break_glass: bool = False) -> dict:
    """``break_glass``: the catalog lets one IT admin skip the second confirmation in an emergency."""
    intro = f"*Offboard {who}* ({md.escape(plan.person_email)}) {f'on {when}' if when else 'now'}."
    blocks = [ui.section(intro + " This is what will happen:")]
    if plan.person_status == "leaver":
        blocks.append(ui.context("Already marked as a leaver: this finishes whatever is left."))
    if plan.second_confirmation:
        blocks.append(ui.section(f"🔐 *A second IT admin must confirm this* ({md.escape(plan.second_confirmation_why)}). "
                                 "It is posted in the IT channel with *Confirm*; nothing changes until then."))
    blocks += _systems(plan.steps)
    blocks += _extras(plan)
    blocks.append(InputBlock(block_id=Block.OFFBOARD_REASON, label=ui.plain("Reason"), optional=True,
                             element=PlainTextInputElement(action_id=Action.OFFBOARD_REASON, max_length=300),
                             hint=ui.plain("Kept in the audit log and shown in the IT channel.")).to_dict())
    if plan.second_confirmation and break_glass:
        blocks.append(InputBlock(block_id=Block.OFFBOARD_BREAK_GLASS, label=ui.plain("Emergency"), optional=True,
                                 element=CheckboxesElement(action_id=Action.OFFBOARD_BREAK_GLASS, options=[Option(
                                     value="break_glass", text=ui.plain("Break glass: go ahead without a second IT admin"),
                                     description=ui.plain("Only for an emergency. Needs a reason; audited and "
                                                          "announced in the IT channel."))])).to_dict())
    submit = "Schedule" if when else "Offboard now"
    if plan.second_confirmation:
        submit = "Ask to schedule" if when else "Ask to offboard"
    return ui.modal(callback_id=Callback.OFFBOARD, title=TITLE, submit=submit, blocks=blocks, private_metadata=meta)


def _systems(steps: list[PlannedStep]) -> list[dict]:
    by_system: dict[str, list[PlannedStep]] = defaultdict(list)
    for step in steps:
        by_system[step.system].append(step)
    if not by_system:
        return [ui.section("They hold nothing through accessbot and have no account a connector can suspend: "
                           "they are only marked as a leaver.")]
    blocks = []
    for system, planned in sorted(by_system.items())[:MAX_SYSTEMS]:
        lines = [_line(step) for step in planned[:MAX_LINES]]
        if len(planned) > MAX_LINES:
            lines.append(f"…and {len(planned) - MAX_LINES} more")
        blocks.append(ui.section(f"*{md.escape(system)}*\n" + "\n".join(lines)))
    if len(by_system) > MAX_SYSTEMS:
        blocks.append(ui.context(f"…and {len(by_system) - MAX_SYSTEMS} more systems"))
    return blocks


def _line(step: PlannedStep) -> str:
    grants = f" ({len(step.grant_ids)} grants)" if len(step.grant_ids) > 1 else ""
    problem = f" ⚠️ {md.escape(step.problem)}" if step.problem else ""
    return f"• {md.escape(step.what)}{grants}{problem}"


def _extras(plan: OffboardPlan) -> list[dict]:
    notes = []
    if plan.privileged:
        notes.append(f"⚠️ Holds privileged access: {', '.join(f'`{md.escape(r)}`' for r in plan.privileged)}")
    if plan.requests_to_cancel:
        notes.append("Pending requests cancelled: " + ", ".join(f"#{i} ({md.escape(ref)})"
                                                                 for i, ref in plan.requests_to_cancel[:20]))
    if plan.approvals_to_reroute:
        notes.append("Approvals waiting on them move to someone else: " + ", ".join(
            f"#{i} ({md.escape(label)})" for i, label in plan.approvals_to_reroute[:20]))
    if plan.no_account:
        notes.append(f"No account in: {', '.join(md.escape(n) for n in plan.no_account)}")
    if plan.problems:
        notes.append(f"{len(plan.problems)} step(s) look like they will fail (⚠️); the report will offer Retry.")
    if plan.scheduled_for:
        notes.append(f"Already scheduled for {md.date(plan.scheduled_for)}; confirming replaces that.")
    if plan.awaiting:
        notes.append(f"Offboarding #{plan.awaiting[0]} already waits for a second IT admin "
                     f"(asked by {md.escape(plan.awaiting[1])}).")
    return [ui.context(*notes)] if notes else []


def render_notice(text: str) -> dict:
    return ui.notice_modal(TITLE, text)


def render_submitted(text: str, *, offboarding_id: int) -> dict:
    """After Schedule (or Ask to …): what happened, with the way back while nothing has been removed."""
    return ui.modal(callback_id=Callback.NOTICE, title=TITLE, close="Close", blocks=[
        ui.section(text), ui.actions(cancel_button(offboarding_id), block_id=Block.OFFBOARD_ACTIONS)])


def cancel_button(offboarding_id: int, text: str = "Cancel scheduled offboarding"):
    return ui.button(text, Action.CANCEL_OFFBOARDING, OffboardingRef(offboarding_id=offboarding_id).dump(),
                     style="danger", confirm_with=ui.confirm(
                         "Cancel this offboarding?", f"Offboarding #{offboarding_id} will not run. Nothing has been "
                         "removed yet, so nothing needs to be given back.", "Cancel it", "Keep it", danger=True))
