"""Asking for access: /access (form or quick path), the global shortcut, the Home button, the
entitlement picker (type-ahead and redraw) and the form submission."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.domain.errors import DomainError
from bot.slack import access_command, errors, parse
from bot.slack.ids import Action, Callback, Command, Shortcut
from bot.slack.listeners.common import person_of, raises_before_ack_only
from bot.slack.metadata import RequestModalMeta
from bot.slack.views.request_modal import FormChoice, entitlement_option, render_request_modal, render_submitted_modal
from bot.workflow.submit import USE_DEFAULT, Submitted, submit

MAX_OPTIONS = 100


@raises_before_ack_only
def on_access_command(ack, body, client, respond, env, actor) -> None:
    parsed = access_command.parse(env.deps.catalog, body.get("text", ""))
    if isinstance(parsed, access_command.Help | access_command.Problem):
        ack(text=parsed.text)
    elif isinstance(parsed, access_command.Prefill):
        ack()
        open_form(client, body["trigger_id"], env.deps.catalog, parsed, channel_id=body.get("channel_id"))
    else:
        ack()
        env.later(submit_quick, quick=parsed, body=body, client=client, respond=respond, env=env, actor=actor)


def submit_quick(quick: access_command.Quick, body, client, respond, env, actor) -> None:
    try:
        result = send(env, actor, quick.entitlement, quick.duration, quick.reason, "", None)
    except DomainError as error:
        hint = f"\nUse `/access {quick.entitlement.replace(':', ' ')}` to open the form." if error.field else ""
        respond(text=errors.refusal_text(error) + hint, response_type="ephemeral")
        return
    respond(text=submitted_text(result), response_type="ephemeral")


@raises_before_ack_only
def on_open_form(ack, body, client, env) -> None:
    """The global shortcut and the App Home's Request access button."""
    ack()
    open_form(client, body["trigger_id"], env.deps.catalog, access_command.Prefill())


def open_form(client, trigger_id: str, catalog, prefill: access_command.Prefill, channel_id: str | None = None):
    choice = FormChoice.of(catalog.entitlement(prefill.entitlement)) if prefill.entitlement else None
    meta = RequestModalMeta(channel_id=channel_id).dump()
    client.views_open(trigger_id=trigger_id, view=render_request_modal(
        choice, meta=meta, duration=prefill.duration, duration_given=prefill.duration_given))


def on_entitlement_options(ack, payload, env) -> None:
    found = env.deps.catalog.search(payload.get("value", ""), limit=MAX_OPTIONS)
    ack(options=[entitlement_option(e.ref, e.label) for e in found])


@raises_before_ack_only
def on_entitlement_picked(ack, body, client, env) -> None:
    """The picker has dispatch_action: redraw the form for the chosen entitlement's policy."""
    ack()
    view, ref = body["view"], parse.selected_option_value(body)
    try:
        choice = FormChoice.of(env.deps.catalog.entitlement(ref)) if ref else None
    except KeyError:
        choice = None
    try:
        client.views_update(view_id=view["id"], hash=view["hash"],
                            view=render_request_modal(choice, meta=view.get("private_metadata") or ""))
    except SlackApiError as error:
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise  # hash_conflict: a newer change is on its way; not_found: the form was closed


def on_request_submitted(ack, view, env, actor) -> None:
    try:
        form = parse.request_form(view)
        result = send(env, actor, form.entitlement, form.duration, form.justification, form.ticket, form.starts_at)
    except DomainError as error:
        ack(**errors.submission_answer(error, view))
        return
    ack(response_action="update", view=render_submitted_modal(submitted_text(result)))


def send(env, actor, ref, duration, justification, ticket, starts_at) -> Submitted:
    chosen = USE_DEFAULT if duration is parse.USE_POLICY_DEFAULT else duration
    return env.perform(actor, "submit", lambda s, ctx: submit(
        s, ctx, requester=person_of(s, actor), entitlement=ref, duration=chosen, justification=justification,
        ticket=ticket, starts_at=starts_at))


def submitted_text(result: Submitted) -> str:
    request = result.request
    if result.outcome == "pending":
        return (f"✅ Request #{request.id} sent. I'll DM you when it is decided; you can follow it (or cancel it) "
                "from the card in your DMs or the App Home.")
    return f"✅ Request #{request.id} was approved automatically by policy. I'll DM you when the access is ready."


def register(app: App) -> None:
    app.command(Command.ACCESS)(on_access_command)
    app.shortcut(Shortcut.REQUEST_ACCESS)(on_open_form)
    app.action(Action.OPEN_REQUEST_MODAL)(on_open_form)
    app.options(Action.ENTITLEMENT_PICKER)(on_entitlement_options)
    app.action(Action.ENTITLEMENT_PICKER)(on_entitlement_picked)
    app.view(Callback.REQUEST)(on_request_submitted)
