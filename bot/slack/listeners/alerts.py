"""Retry on IT's revoke-failed alerts and offboarding reports. IT admins only: the operation
refuses anyone else, perform() audits it, and the clicker is told privately."""

from __future__ import annotations

from slack_bolt import App

from bot.ledger.manual_tasks import retry_action
from bot.offboarding import engine
from bot.offboarding.confirm import retry_offboarding
from bot.slack import parse
from bot.slack.ids import Action
from bot.slack.it_refs import ActionRef, OffboardingRef
from bot.slack.listeners.common import person_of, raises_before_ack_only


@raises_before_ack_only
def on_retry_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "retry_action", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, ActionRef)
        env.perform(actor, "retry_action", lambda s, ctx: retry_action(
            s, ctx, action_id=ref.action_id, by=person_of(s, actor)), subject=("action", ref.action_id))
    if attempt.refused:
        return
    respond(text="🔁 Trying again now; the alert shows how it went.", response_type="ephemeral",
            replace_original=False)


@raises_before_ack_only
def on_retry_offboarding_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "retry_offboarding", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, OffboardingRef)
        env.perform(actor, "retry_offboarding", lambda s, ctx: retry_offboarding(
            s, ctx, admin=person_of(s, actor), offboarding_id=ref.offboarding_id).id,
            subject=("offboarding", ref.offboarding_id))
    if attempt.refused:
        return
    respond(text="🔁 Retrying what failed; the report updates as each system finishes.", response_type="ephemeral",
            replace_original=False)
    engine.drive_later(env.deps, [ref.offboarding_id])


def register(app: App) -> None:
    app.action(Action.RETRY_ACTION)(on_retry_clicked)
    app.action(Action.RETRY_OFFBOARDING)(on_retry_offboarding_clicked)
