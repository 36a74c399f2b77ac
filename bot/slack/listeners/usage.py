"""The unused-access DM: Keep (an optional reason, in a modal) and Release. A click names an ask only;
bot.usage.answer authorises against the person the question was put to, and the DM is redrawn by the
outbox notifier from the database once the answer is recorded."""

from __future__ import annotations

from slack_bolt import App

from bot.domain.errors import DomainError, NotAuthorized
from bot.slack import parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.listeners.common import after_ack, person_of
from bot.slack.usage_refs import UsageAskRef
from bot.slack.views.usage import render_keep_modal
from bot.store.models import UsageAsk
from bot.usage import answer
from bot.usage.queries import label_of


def on_keep_clicked(ack, body, client, respond, env, actor) -> None:
    """Open the reason modal at once (the trigger lives 3 s); Keep happens on its submit."""
    ack()
    try:
        ref = parse.action_meta(body, UsageAskRef)
        with env.deps.store.uow() as s:
            ask = s.get(UsageAsk, ref.ask_id)
            if ask is None or ask.asked_id != actor.person_id:
                raise NotAuthorized("This question was not put to you.")
            label = label_of(env.deps.catalog, ask.entitlement)
    except DomainError as error:
        env.tell_refusal(actor, "usage.keep", error, body=body, client=client, respond=respond)
        return
    client.views_open(trigger_id=body["trigger_id"], view=render_keep_modal(ref.ask_id, label))


def on_keep_submitted(ack, view, env, actor) -> None:
    try:
        ref = parse.view_meta(view, UsageAskRef)
        reason = parse.text_value(view, Block.DENY_REASON)
        env.perform(actor, "usage.keep", lambda s, ctx: answer.keep(
            s, ctx, ask_id=ref.ask_id, by=person_of(s, actor), reason=reason).status,
            subject=("usage_ask", ref.ask_id))
    except DomainError as error:
        ack(**env.submission_refused(actor, "usage.keep", error, view))
        return
    ack()


@after_ack
def on_release_clicked(ack, body, client, respond, env, actor) -> None:
    try:
        ref = parse.action_meta(body, UsageAskRef)
        env.perform(actor, "usage.release", lambda s, ctx: answer.release(
            s, ctx, ask_id=ref.ask_id, by=person_of(s, actor)).status, subject=("usage_ask", ref.ask_id))
    except DomainError as error:
        env.tell_refusal(actor, "usage.release", error, body=body, client=client, respond=respond)


def register(app: App) -> None:
    app.action(Action.USAGE_KEEP)(on_keep_clicked)
    app.action(Action.USAGE_RELEASE)(on_release_clicked)
    app.view(Callback.USAGE_KEEP)(on_keep_submitted)
