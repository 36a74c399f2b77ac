"""Asking for access: /access (form or quick path), the global shortcut, the Home button, the
entitlement picker (type-ahead over bundles and entitlements, and redraw) and the form submission."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.domain.errors import DomainError
from bot.slack import access_command, errors, parse, replays
from bot.slack.ids import Action, Callback, Command, Shortcut
from bot.slack.listeners.common import person_of, raises_before_ack_only
from bot.slack.metadata import RequestModalMeta
from bot.slack.views import mrkdwn as md
from bot.slack.views.request_modal import (
    bundle_of,
    bundle_value,
    entitlement_option,
    form_choice,
    render_request_modal,
    render_submitted_modal,
)
from bot.requests.bundle import BundleSubmitted, submit_bundle
from bot.requests.submit import USE_DEFAULT, Submitted, submit

MAX_OPTIONS = 100
log = logging.getLogger(__name__)


@raises_before_ack_only
def on_access_command(ack, body, client, respond, env, actor, request) -> None:
    parsed = access_command.parse(env.deps.catalog, body.get("text", ""))
    if isinstance(parsed, access_command.Problem):
        env.refused(actor, "submit", refusal_of(parsed), subject=("command", "/access"))
    if isinstance(parsed, access_command.Help | access_command.Problem):
        ack(text=parsed.text)
    elif isinstance(parsed, access_command.Prefill):
        ack()
        open_form(client, body["trigger_id"], env.deps.catalog, parsed, channel_id=body.get("channel_id"))
    else:
        ack()
        env.later(submit_quick, quick=parsed, body=body, client=client, respond=respond, env=env, actor=actor,
                  retry=replays.retry_of(request.headers))


def refusal_of(problem: access_command.Problem) -> DomainError:
    error = DomainError(problem.text.split("\n", 1)[0])
    error.code = problem.code
    return error


def submit_quick(quick: access_command.Quick, body, client, respond, env, actor, retry: str = "") -> None:
    """``retry``: Slack's retry headers, when it says this is a copy (replays.py)."""
    try:
        result = send(env, actor, quick.entitlement, quick.duration, quick.reason, "", None,
                      replay_key=replays.command_key(body))
    except IntegrityError:  # a concurrent copy of the same command recorded its key first
        result = "the same request"
    except DomainError as error:
        env.refused(actor, "submit", error)
        words = bundle_of(quick.entitlement) or quick.entitlement.replace(":", " ")
        hint = f"\nUse `/access {words}` to open the form." if error.field else ""
        respond(text=errors.refusal_text(error) + hint, response_type="ephemeral")
        return
    if not isinstance(result, (Submitted, BundleSubmitted)):
        log.info("/access from %s came again%s; answered with %s", actor.label, f" ({retry})" if retry else "", result)
        respond(text=f"ℹ️ That `/access` was already sent: {result}. Nothing new was requested.",
                response_type="ephemeral")
        return
    respond(text=submitted_text(result), response_type="ephemeral")


@raises_before_ack_only
def on_open_form(ack, body, client, env) -> None:
    """The global shortcut and the App Home's Request access button."""
    ack()
    open_form(client, body["trigger_id"], env.deps.catalog, access_command.Prefill())


def open_form(client, trigger_id: str, catalog, prefill: access_command.Prefill, channel_id: str | None = None):
    choice = form_choice(catalog, prefill.entitlement)
    meta = RequestModalMeta(channel_id=channel_id).dump()
    client.views_open(trigger_id=trigger_id, view=render_request_modal(
        choice, meta=meta, duration=prefill.duration, duration_given=prefill.duration_given))


def on_entitlement_options(ack, payload, env) -> None:
    catalog, query = env.deps.catalog, payload.get("value", "")
    bundles = [entitlement_option(bundle_value(b.name), b.label) for b in catalog.search_bundles(query)][:MAX_OPTIONS]
    found = catalog.search(query, limit=MAX_OPTIONS - len(bundles))
    ack(options=[*bundles, *(entitlement_option(e.ref, e.label) for e in found)])


@raises_before_ack_only
def on_entitlement_picked(ack, body, client, env) -> None:
    """The picker has dispatch_action: redraw the form for the chosen entitlement's policy."""
    ack()
    view, ref = body["view"], parse.selected_option_value(body)
    try:
        choice = form_choice(env.deps.catalog, ref)
    except KeyError:
        choice = None
    try:
        client.views_update(view_id=view["id"], hash=view["hash"],
                            view=render_request_modal(choice, meta=view.get("private_metadata") or ""))
    except SlackApiError as error:
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise  # hash_conflict: a newer change is on its way; not_found: the form was closed


def on_request_submitted(ack, body, view, env, actor) -> None:
    try:
        form = parse.request_form(view)
        result = send(env, actor, form.entitlement, form.duration, form.justification, form.ticket, form.starts_at,
                      replay_key=replays.submission_key(body))
    except IntegrityError:  # a concurrent copy of the same submission recorded its key first
        result = "the same request"
    except DomainError as error:
        ack(**env.submission_refused(actor, "submit", error, view))
        return
    if not isinstance(result, (Submitted, BundleSubmitted)):
        log.info("request form of %s submitted again; answered with %s", actor.label, result)
        ack(response_action="update", view=render_submitted_modal(
            f"ℹ️ This form was already sent: {result}. Nothing new was requested."))
        return
    ack(response_action="update", view=render_submitted_modal(submitted_text(result)))


def send(env, actor, ref, duration, justification, ticket, starts_at, *,
         replay_key: str | None = None) -> Submitted | BundleSubmitted | str:
    """The Submitted request (or bundle); with ``replay_key``, what the first copy did (a note) when this
    is a copy."""
    chosen = USE_DEFAULT if duration is parse.USE_POLICY_DEFAULT else duration
    bundle = bundle_of(ref)

    def operation(s, ctx):
        first = replays.earlier(s, replay_key, ctx.now) if replay_key else None
        if first is not None:
            return first
        if bundle is not None:
            result = submit_bundle(s, ctx, requester=person_of(s, actor), bundle=bundle, duration=chosen,
                                   justification=justification, ticket=ticket)
            done = f"bundle request #{result.lead.id}"
        else:
            result = submit(s, ctx, requester=person_of(s, actor), entitlement=ref, duration=chosen,
                            justification=justification, ticket=ticket, starts_at=starts_at)
            done = f"request #{result.request.id}"
        if replay_key:
            replays.remember(s, replay_key, ctx.now, done)
        return result
    return env.perform(actor, "submit_bundle" if bundle is not None else "submit", operation)


def submitted_text(result: Submitted | BundleSubmitted) -> str:
    notes = "".join(md.compose("\n\nℹ️ {notice}", notice=notice) for notice in result.notices)
    if isinstance(result, BundleSubmitted):
        what = f"Bundle request #{result.lead.id} ({len(result.requests)} entitlements)"
        if result.outcome == "pending":
            return (f"✅ {what} sent: one approval for all of them. I'll DM you when it is decided; you can "
                    f"follow it (or cancel it) from the card in your DMs or the App Home.{notes}")
        return f"✅ {what} was approved automatically by policy. I'll DM you as each access is ready.{notes}"
    request = result.request
    if result.outcome == "pending":
        return (f"✅ Request #{request.id} sent. I'll DM you when it is decided; you can follow it (or cancel it) "
                f"from the card in your DMs or the App Home.{notes}")
    return (f"✅ Request #{request.id} was approved automatically by policy. I'll DM you when the access is "
            f"ready.{notes}")


def register(app: App) -> None:
    app.command(Command.ACCESS)(on_access_command)
    app.shortcut(Shortcut.REQUEST_ACCESS)(on_open_form)
    app.action(Action.OPEN_REQUEST_MODAL)(on_open_form)
    app.options(Action.ENTITLEMENT_PICKER)(on_entitlement_options)
    app.action(Action.ENTITLEMENT_PICKER)(on_entitlement_picked)
    app.view(Callback.REQUEST)(on_request_submitted)
