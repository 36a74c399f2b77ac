"""Extend and Relinquish, from the App Home."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.domain.errors import DomainError, InvalidState, NotAuthorized
from bot.ledger.end_grant import load_grant, relinquish
from bot.requests.extend import Extended, extend
from bot.slack import errors, parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.listeners.common import after_ack, person_of, raises_before_ack_only
from bot.slack.metadata import GrantRef
from bot.slack.readmodels.home import extend_choices
from bot.slack.readmodels.request import entitlement_info
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.extend_modal import render_extend_modal
from bot.slack.views.format import time_left


@raises_before_ack_only
def on_extend_clicked(ack, body, client, respond, env, actor) -> None:
    """Open the form at once (the trigger lives 3 s); the choices, read from the database, follow."""
    ack()
    with env.refusal_shown(actor, "extend", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, GrantRef)
    if attempt.refused:
        return
    opened = client.views_open(trigger_id=body["trigger_id"], view=ui.notice_modal("Extend access", "Loading…"))
    env.later(fill_extend_form, view_id=opened["view"]["id"], grant_id=ref.grant_id, body=body, client=client,
              respond=respond, env=env, actor=actor)


def fill_extend_form(view_id, grant_id, body, client, respond, env, actor) -> None:
    try:
        with env.deps.store.uow() as s:
            view = _extend_form(s, env, grant_id, actor.person_id)
    except DomainError as error:
        env.refused(actor, "extend", error, subject=("grant", grant_id))
        view = ui.notice_modal("Extend access", errors.refusal_text(error))
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "not_found":  # closed meanwhile: nothing to show
            raise


def _extend_form(s: Session, env, grant_id: int, person_id: int) -> dict:
    grant = load_grant(s, grant_id, lock=False)
    if grant.person_id != person_id:
        raise NotAuthorized("You can only extend your own access.")
    now = env.deps.clock.now()
    choices = extend_choices(env.deps.catalog, grant, now)
    if not choices:
        raise InvalidState("This access cannot be extended any further.")
    label = entitlement_info(env.deps.catalog, grant.entitlement).label
    ends = f"ends {md.date(grant.ends_at)} ({time_left(grant.ends_at, now)})"
    return render_extend_modal(grant.id, label, choices, ends)


def on_extend_submitted(ack, view, env, actor) -> None:
    with env.refusal_answered(actor, "extend", view, ack) as attempt:
        ref = parse.view_meta(view, GrantRef)
        extra = parse.extend_by(view)
        reason = parse.text_value(view, Block.JUSTIFICATION)
        result: Extended = env.perform(actor, "extend", lambda s, ctx: extend(
            s, ctx, grant_id=ref.grant_id, by=person_of(s, actor), extra=extra, justification=reason),
            subject=("grant", ref.grant_id))
    if attempt.refused:
        return
    if result.applied:
        text = "✅ Extended. Your App Home shows the new end time."
    else:
        text = f"📨 That is more than you can extend on your own: request #{result.request.id} went to your approvers."
    ack(response_action="update", view=ui.notice_modal("Extend access", text))
    env.homes.publish(actor.person_id)


@after_ack
def on_relinquish_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "relinquish", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, GrantRef)
        env.perform(actor, "relinquish", lambda s, ctx: relinquish(s, ctx, grant_id=ref.grant_id,
                                                                  by=person_of(s, actor)),
                    subject=("grant", ref.grant_id))
    if attempt.refused:
        return
    env.homes.publish(actor.person_id, client=client)


def register(app: App) -> None:
    app.action(Action.EXTEND_GRANT)(on_extend_clicked)
    app.view(Callback.EXTEND)(on_extend_submitted)
    app.action(Action.RELINQUISH_GRANT)(on_relinquish_clicked)
