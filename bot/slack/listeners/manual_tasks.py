"""Done and Can't do on manual task cards (and the reason form). IT admins only: the operation
refuses anyone else, perform() audits the refusal, and the clicker is told privately. Every copy of
the card is redrawn by the notifier from the database."""

from __future__ import annotations

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.domain.errors import AlreadyDecided, NotFoundError
from bot.ledger.context import Ctx
from bot.ledger.authorisation import require_it_admin
from bot.ledger.manual_tasks import complete_task
from bot.slack import parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.it_refs import TaskRef
from bot.slack.listeners.common import person_of, raises_before_ack_only
from bot.slack.readmodels.task import TaskView, load_task
from bot.slack.views import common as ui
from bot.slack.views.task_card import render_cannot_modal
from bot.store.models import Person

WHAT = "complete provisioning tasks"


@raises_before_ack_only
def on_task_done_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "complete_task", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, TaskRef)
        env.perform(actor, "complete_task", lambda s, ctx: complete_task(
            s, ctx, task_id=ref.task_id, by=person_of(s, actor), done=True), subject=("task", ref.task_id))
    if attempt.refused:
        return
    respond(text=f"✅ Recorded: task #{ref.task_id} is done. The access is now marked as in place.",
            response_type="ephemeral", replace_original=False)


@raises_before_ack_only
def on_task_cannot_clicked(ack, body, client, respond, env, actor) -> None:
    """Refuse at once who may not answer (audited), else ask why (the trigger lives 3 s)."""
    ack()
    with env.refusal_shown(actor, "complete_task", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, TaskRef)
        task = env.perform(actor, "complete_task", lambda s, ctx: answerable(s, ctx, ref.task_id, person_of(s, actor)),
                           subject=("task", ref.task_id))
    if attempt.refused:
        return
    client.views_open(trigger_id=body["trigger_id"], view=render_cannot_modal(task))


def answerable(s: Session, ctx: Ctx, task_id: int, person: Person) -> TaskView:
    require_it_admin(ctx, person, WHAT)
    task = load_task(s, ctx.catalog, task_id)
    if task is None:
        raise NotFoundError(f"Task #{task_id} does not exist.")
    if not task.open:
        raise AlreadyDecided(f"Task #{task.id} was already marked {task.status}.")
    return task


def on_task_cannot_submitted(ack, view, env, actor) -> None:
    with env.refusal_answered(actor, "complete_task", view, ack) as attempt:
        ref = parse.view_meta(view, TaskRef)
        reason = parse.text_value(view, Block.TASK_CANNOT_REASON)
        env.perform(actor, "complete_task", lambda s, ctx: complete_task(
            s, ctx, task_id=ref.task_id, by=person_of(s, actor), done=False, note=reason),
            subject=("task", ref.task_id))
    if attempt.refused:
        return
    ack(response_action="update", view=ui.notice_modal(
        f"Task #{ref.task_id}", "Recorded as not possible. The person who needed it is told why."))


def register(app: App) -> None:
    app.action(Action.TASK_DONE)(on_task_done_clicked)
    app.action(Action.TASK_CANNOT)(on_task_cannot_clicked)
    app.view(Callback.TASK_CANNOT)(on_task_cannot_submitted)
