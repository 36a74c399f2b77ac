"""Approve, Deny (and its reason form) and Cancel, from request cards and the App Home.

Button values carry a request id only. Every click goes through the domain, which authorises it
against the current approvers in the database; a refusal is audited by perform() and shown to the
clicker privately. Cards are redrawn by the notifier from the database, never here.
"""

from __future__ import annotations

from slack_bolt import App

from bot.domain.enums import Verdict
from bot.requests.cancel import cancel
from bot.requests.decide import check_decider, decide
from bot.slack import errors, parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.listeners.common import after_ack, person_of, raises_before_ack_only
from bot.slack.metadata import RequestRef
from bot.slack.views.deny_modal import render_deny_modal


@after_ack
def on_approve_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "decide", body=body, client=client, respond=respond):
        ref = parse.action_meta(body, RequestRef)
        env.perform(actor, "decide", lambda s, ctx: decide(
            s, ctx, request_id=ref.request_id, approver=person_of(s, actor), verdict=Verdict.APPROVE),
            subject=("request", ref.request_id))


@raises_before_ack_only
def on_deny_clicked(ack, body, client, respond, env, actor) -> None:
    """Refuse at once who may not decide (audited, privately), else ask for the reason. The check is one
    indexed read, done before views.open because a form shown and then withdrawn races the person."""
    ack()
    with env.refusal_shown(actor, "decide", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, RequestRef)
        env.perform(actor, "decide", lambda s, ctx: check_decider(
            s, ctx, request_id=ref.request_id, approver=person_of(s, actor)), subject=("request", ref.request_id))
    if attempt.refused:
        return
    opener = client.views_push if errors.surface_of(body) == "modal" else client.views_open
    opener(trigger_id=body["trigger_id"], view=render_deny_modal(ref.request_id))


def on_deny_submitted(ack, view, env, actor) -> None:
    with env.refusal_answered(actor, "decide", view, ack) as attempt:
        ref = parse.view_meta(view, RequestRef)
        reason = parse.text_value(view, Block.DENY_REASON)
        env.perform(actor, "decide", lambda s, ctx: decide(
            s, ctx, request_id=ref.request_id, approver=person_of(s, actor), verdict=Verdict.DENY, reason=reason),
            subject=("request", ref.request_id))
    if attempt.refused:
        return
    ack()


@after_ack
def on_cancel_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "cancel", body=body, client=client, respond=respond):
        ref = parse.action_meta(body, RequestRef)
        env.perform(actor, "cancel", lambda s, ctx: cancel(
            s, ctx, request_id=ref.request_id, by=person_of(s, actor), reason="cancelled by the requester"),
            subject=("request", ref.request_id))


def register(app: App) -> None:
    app.action(Action.APPROVE)(on_approve_clicked)
    app.action(Action.DENY)(on_deny_clicked)
    app.view(Callback.DENY)(on_deny_submitted)
    app.action(Action.CANCEL_REQUEST)(on_cancel_clicked)
