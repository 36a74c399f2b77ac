"""Confirm and Cancel on an offboarding: on its message in the IT channel, and Cancel on the /offboard
confirmation. IT admins only (the operations refuse anyone else, perform() audits the refusal and
the clicker is told privately); whoever asked for an offboarding cannot confirm it (four eyes).
The IT channel message is redrawn by the notifier from the event each operation writes.
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.offboarding import engine, prepare
from bot.offboarding.confirm import cancel_offboarding, confirm_offboarding
from bot.slack import errors, parse
from bot.slack.ids import Action
from bot.slack.it_refs import OffboardingRef
from bot.slack.listeners.common import after_ack, person_of
from bot.slack.views import mrkdwn as md
from bot.slack.views.offboard_modal import render_notice


@after_ack
def on_cancel_clicked(ack, body, client, respond, env, actor) -> None:
    with env.refusal_shown(actor, "cancel_offboarding", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, OffboardingRef)
        record_id = env.perform(actor, "cancel_offboarding", lambda s, ctx: cancel_offboarding(
            s, ctx, admin=person_of(s, actor), offboarding_id=ref.offboarding_id).id,
            subject=("offboarding", ref.offboarding_id))
    if attempt.refused:
        return
    _answer(f"🚫 Offboarding #{record_id} is cancelled: it will not run, and nothing was removed.",
            body=body, client=client, respond=respond)


@after_ack
def on_confirm_clicked(ack, body, client, respond, env, actor) -> None:
    with env.refusal_shown(actor, "confirm_offboarding", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, OffboardingRef)
        record = env.perform(actor, "confirm_offboarding", lambda s, ctx: _state(confirm_offboarding(
            s, ctx, admin=person_of(s, actor), offboarding_id=ref.offboarding_id)),
            subject=("offboarding", ref.offboarding_id))
    if attempt.refused:
        return
    record_id, status, at = record
    if status == prepare.RUNNING:
        engine.drive_later(env.deps, [record_id])
        text = f"✅ Confirmed: offboarding #{record_id} has started; the message follows every system."
    else:
        text = f"✅ Confirmed: offboarding #{record_id} is scheduled for {md.date(at)}."
    _answer(text, body=body, client=client, respond=respond)


def _state(record) -> tuple[int, str, object]:
    return record.id, record.status, record.scheduled_for


def _answer(text: str, *, body, client, respond) -> None:
    """On the /offboard confirmation modal the modal itself changes; on a message, an ephemeral."""
    view = body.get("view") or {}
    if errors.surface_of(body) == "modal" and view.get("id"):
        try:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=render_notice(text))
            return
        except SlackApiError as error:  # closed meanwhile, or redrawn by another click: tell privately instead
            if error.response.get("error") not in ("not_found", "hash_conflict"):
                raise
    errors.tell(text, body=body, client=client, respond=respond)


def register(app: App) -> None:
    app.action(Action.CANCEL_OFFBOARDING)(on_cancel_clicked)
    app.action(Action.CONFIRM_OFFBOARDING)(on_confirm_clicked)
