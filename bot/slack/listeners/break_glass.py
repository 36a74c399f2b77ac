"""Break glass from the request form (the Emergency button, its confirmation form) and the reviewer's
Justified / Not justified. Button values and form metadata are pointers only: the domain re-reads the
policy, the budget and the reviewers from the database."""

from __future__ import annotations

from slack_bolt import App

from bot.breakglass.review import check_reviewer, review
from bot.breakglass.use import break_glass, outlook
from bot.domain.errors import DomainError, InvalidDuration, MissingJustification
from bot.slack import errors, parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.listeners.common import person_of
from bot.slack.readmodels.break_glass import load_break_glass_view
from bot.slack.views.break_glass import (
    BreakGlassMeta,
    BreakGlassReviewRef,
    render_break_glass_done,
    render_break_glass_form,
    render_break_glass_refused,
    render_review_reason_modal,
)
from policies import humanize


def on_break_glass_clicked(ack, body, client, env, actor) -> None:
    """The request form's Emergency button: what will happen (or why not), pushed over the form."""
    ack()
    ref = parse.action(body).get("value") or ""
    catalog = env.deps.catalog
    try:
        seen = env.perform(actor, "break_glass", lambda s, ctx: outlook(s, ctx, person=person_of(s, actor),
                                                                         entitlement=ref),
                           subject=("entitlement", ref))
    except DomainError as error:
        label = catalog.entitlements[ref].label if ref in catalog.entitlements else ref
        client.views_push(trigger_id=body["trigger_id"], view=render_break_glass_refused(label, error.message))
        return
    ent = catalog.entitlement(ref)
    choices = tuple(sorted({c for c in ent.durations.choices if c is not None and c < seen.max_duration}
                           | {seen.max_duration}))
    client.views_push(trigger_id=body["trigger_id"], view=render_break_glass_form(
        ent.label, meta=BreakGlassMeta(ref=ref).dump(), choices=choices, uses_left=seen.uses_left,
        budget=f"{seen.budget_uses} per {humanize(seen.budget_period)}", told=seen.told, reviewers=seen.reviewers,
        review_within=seen.review_within, require_ticket=seen.require_ticket, ticket_pattern=seen.ticket_pattern))


def on_break_glass_submitted(ack, view, env, actor) -> None:
    # not allowed, budget, overdue review: said where the person confirms
    with env.refusal_answered(actor, "break_glass", view, ack,
                              fields={"entitlement": "break_glass_confirm"}) as attempt:
        meta = parse.view_meta(view, BreakGlassMeta)
        duration = parse.duration_choice(parse.selected_value(view, Block.DURATION))
        if not hasattr(duration, "total_seconds"):
            raise InvalidDuration("Choose how long you need it.", field="duration")
        if not parse.checked(view, Block.BREAK_GLASS_CONFIRM):
            raise MissingJustification("Confirm that this is an emergency.", field="break_glass_confirm")
        used = env.perform(actor, "break_glass", lambda s, ctx: break_glass(
            s, ctx, person=person_of(s, actor), entitlement=meta.ref, duration=duration,
            reason=parse.text_value(view, Block.JUSTIFICATION), ticket=parse.text_value(view, Block.TICKET)),
            subject=("entitlement", meta.ref))
    if attempt.refused:
        return
    with env.deps.store.uow() as s:
        shown = load_break_glass_view(s, env.deps.catalog, used.use.id)
    ack(response_action="update", view=render_break_glass_done(shown))


def on_review_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "break_glass_review", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, BreakGlassReviewRef)
        env.perform(actor, "break_glass_review", lambda s, ctx: check_reviewer(
            s, ctx, use_id=ref.use_id, reviewer=person_of(s, actor)), subject=("break_glass", ref.use_id))
    if attempt.refused:
        return
    opener = client.views_push if errors.surface_of(body) == "modal" else client.views_open
    opener(trigger_id=body["trigger_id"], view=render_review_reason_modal(ref.dump(), ref.verdict))


def on_review_submitted(ack, view, env, actor) -> None:
    with env.refusal_answered(actor, "break_glass_review", view, ack,
                              fields={"reason": "break_glass_review_reason"}) as attempt:
        ref = parse.view_meta(view, BreakGlassReviewRef)
        env.perform(actor, "break_glass_review", lambda s, ctx: review(
            s, ctx, use_id=ref.use_id, reviewer=person_of(s, actor), verdict=ref.verdict,
            reason=parse.text_value(view, Block.BREAK_GLASS_REVIEW_REASON), version=ref.version),
            subject=("break_glass", ref.use_id))
    if attempt.refused:
        return
    ack()


def register(app: App) -> None:
    app.action(Action.BREAK_GLASS_OPEN)(on_break_glass_clicked)
    app.view(Callback.BREAK_GLASS)(on_break_glass_submitted)
    app.action(Action.BREAK_GLASS_JUSTIFIED)(on_review_clicked)
    app.action(Action.BREAK_GLASS_NOT_JUSTIFIED)(on_review_clicked)
    app.view(Callback.BREAK_GLASS_REVIEW)(on_review_submitted)
