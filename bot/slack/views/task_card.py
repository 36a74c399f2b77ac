"""The manual task card (a job for IT on a system with no API) in every state, and the "Can't do" form.

Open cards carry Done and Can't do; once IT answers, every copy (the first post and each repost) is
redrawn by this same renderer with who answered, when, and why not.
"""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

from bot.domain.enums import ActionKind
from bot.slack.ids import Action, Block, Callback
from bot.slack.it_refs import TaskRef
from bot.slack.readmodels.task import TaskView
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import person_line

REASON_MAX = 500
VERBS = {ActionKind.GRANT: "Give", ActionKind.REVOKE: "Remove", ActionKind.SUSPEND: "Suspend the account",
         ActionKind.END_SESSIONS: "End the sessions"}


def what_text(task: TaskView) -> str:
    verb = VERBS.get(task.kind, task.kind)
    if task.entitlement is None:
        return f"{verb} on {task.connector}"
    return f"{verb} {task.entitlement.label} ({task.entitlement.ref})"


def render_task_card(task: TaskView) -> ui.Rendered:
    blocks = [ui.header(f"🛠 Manual task #{task.id}: {what_text(task)}"),
              ui.section(f"{person_line(task.person)}: *{md.escape(what_text(task))}* on `{md.escape(task.connector)}`")]
    blocks += ui.fields([("For", md.person(task.person.name, task.person.slack_user_id)),
                         ("Email", md.escape(task.person.email)),
                         ("Why", md.escape(task.why)),
                         ("Request", f"#{task.request_id}" if task.request_id else "")])
    if task.instructions:
        blocks.append(ui.section(f"*Instructions*\n{md.quote(md.escape(task.instructions))}"))
    blocks += _state_blocks(task)
    return ui.Rendered(_fallback(task), blocks)


def _fallback(task: TaskView) -> md.Mrkdwn:
    parts = dict(id=task.id, what=what_text(task), who=task.person.name)
    match task.status:
        case "done":
            return md.compose("Manual task #{id} done: {what} for {who}", **parts)
        case "cannot":
            return md.compose("Manual task #{id} could not be done: {what} for {who}", **parts)
        case _:
            return md.compose("Manual task #{id} for IT: {what} for {who}", **parts)


def render_task_escalation(task: TaskView, admins: md.Mrkdwn) -> ui.Rendered:
    """The threaded nudge under the newest copy of an open task: editing a card notifies nobody by name."""
    text = (f"🚨 {admins}: task #{task.id} (*{md.escape(what_text(task))}* for {md.escape(task.person.name)}) "
            f"has been open since {md.date(task.created_at)}. Please pick it up.")
    return ui.Rendered(md.compose("Manual task #{id} needs IT", id=task.id), [ui.section(text)])


def render_task_refused(task: TaskView) -> ui.Rendered:
    """The DM to the person when IT cannot set their access up."""
    by = md.person(task.completed_by.name, task.completed_by.slack_user_id) if task.completed_by else "IT"
    label = task.entitlement.label if task.entitlement else task.connector
    text = f"❌ IT could not set up *{md.escape(label)}* for you. {by} says:\n{md.quote(md.escape(task.note))}"
    return ui.Rendered(md.compose("IT could not set up {label} for you", label=label), [
        ui.section(text), ui.context("Ask IT if you still need it, or request something else with /access.")])


def _state_blocks(task: TaskView) -> list[dict]:
    if task.open:
        value = TaskRef(task_id=task.id).dump()
        done = ui.button("Done", Action.TASK_DONE, value, style="primary", confirm_with=ui.confirm(
            "Mark it done?", f"Only if *{md.escape(what_text(task))}* is really in place now: "
                             "accessbot records it as done by you.", "It's done"))
        cannot = ui.button("Can't do", Action.TASK_CANNOT, value, style="danger")
        again = f" · reminder {task.reposts}" if task.reposts else ""
        return [ui.actions(done, cannot, block_id=Block.TASK_ACTIONS),
                ui.context(f"Task #{task.id} · opened {md.date(task.created_at)}{again} · only IT admins can answer")]
    by = md.person(task.completed_by.name, task.completed_by.slack_user_id) if task.completed_by else "IT"
    at = f" · {md.date(task.completed_at)}" if task.completed_at else ""
    if task.status == "done":
        note = f"\n{md.quote(md.escape(task.note))}" if task.note else ""
        return [ui.context(f"✅ Done by {by}{at}{note}", block_id=Block.OUTCOME)]
    return [ui.context(f"❌ Can't be done, says {by}{at}\n{md.quote(md.escape(task.note))}", block_id=Block.OUTCOME)]


def render_cannot_modal(task: TaskView) -> dict:
    reason = InputBlock(block_id=Block.TASK_CANNOT_REASON, label=ui.plain("Why can't it be done?"),
                        element=PlainTextInputElement(action_id=Action.TASK_CANNOT_REASON, multiline=True,
                                                      min_length=3, max_length=REASON_MAX),
                        hint=ui.plain("The person who asked sees this; it is also kept in the audit log."))
    return ui.modal(callback_id=Callback.TASK_CANNOT, title=f"Task #{task.id}", submit="Can't do",
                    blocks=[ui.section(f"*{md.escape(what_text(task))}* for {md.escape(task.person.name)}"),
                            reason.to_dict()],
                    private_metadata=TaskRef(task_id=task.id).dump())
