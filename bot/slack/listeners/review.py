"""The access reviewer's surfaces: open the review, Keep / Revoke / Reassign per item, Keep all remaining,
page through. Every click names an item or a campaign only; the operations (bot.reviews.decide)
authorise against the item's current reviewer in the database, and the modal is redrawn from it."""

from __future__ import annotations

import re

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.domain.errors import NotAuthorized, UnknownPerson
from bot.reviews import decide as decisions
from bot.reviews import queries
from bot.slack import parse
from bot.slack.ids import Action, Block, Callback
from bot.slack.listeners.common import after_ack, person_of
from bot.slack.readmodels.review import review_page
from bot.slack.review_refs import KeepAllForm, ReviewItemRef, ReviewReasonForm, ReviewRef
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.review import render_keep_all_modal, render_reason_modal, render_review_modal
from bot.store.models import Person, ReviewCampaignRun, ReviewItem

PAGE = re.compile(rf"^{Action.REVIEW_PAGE}:\d+(:[a-z]+)?$")  # :GROUP: the grouping toggle
REASSIGN = re.compile(rf"^{Action.REVIEW_REASSIGN}:\d+$")


def _page_view(env, actor, campaign_id: int, page: int, group: str) -> dict:
    with env.deps.store.uow() as s:
        return render_review_modal(review_page(s, env.deps.catalog, campaign_id, actor.person_id, page, group))


def redraw(env, client, actor, view_id: str, campaign_id: int, page: int, body: dict | None = None,
           group: str = "person") -> None:
    try:
        client.views_update(view_id=view_id, view=_page_view(env, actor, campaign_id, page, group))
    except SlackApiError as error:
        if error.response.get("error") != "not_found":  # closed meanwhile: nothing to redraw
            raise
    env.homes.publish(actor.person_id, client=client)  # the progress on the App Home too


def on_open_clicked(ack, body, client, respond, env, actor) -> None:
    """Open at once (the trigger lives 3 s), then fill in the reviewer's first page."""
    ack()
    with env.refusal_shown(actor, "review.open", body=body, client=client, respond=respond) as attempt:
        ref = parse.action_meta(body, ReviewRef)
    if attempt.refused:
        return
    opened = client.views_open(trigger_id=body["trigger_id"], view=ui.notice_modal("Access review", "Loading…"))
    env.later(redraw, env=env, client=client, actor=actor, view_id=opened["view"]["id"],
              campaign_id=ref.campaign_id, page=ref.page, body=body, group=ref.group)


def _where(body) -> tuple[str, ReviewRef]:
    view = body.get("view") or {}
    return view.get("id", ""), parse.view_meta(view, ReviewRef)


@after_ack
def on_keep_clicked(ack, body, client, respond, env, actor) -> None:
    with env.refusal_shown(actor, "review.decide", body=body, client=client, respond=respond) as attempt:
        view_id, where = _where(body)
        ref = parse.action_meta(body, ReviewItemRef)
        env.perform(actor, "review.decide", lambda s, ctx: decisions.decide(
            s, ctx, item_id=ref.item_id, reviewer=person_of(s, actor), verdict=decisions.KEEP).status,
            subject=("review_item", ref.item_id))
    if attempt.refused:
        return
    redraw(env, client, actor, view_id, where.campaign_id, where.page, group=where.group)


def _ask_reason(body, client, respond, env, actor, verdict: str) -> None:
    with env.refusal_shown(actor, "review.decide", body=body, client=client, respond=respond) as attempt:
        view_id, where = _where(body)
        ref = parse.action_meta(body, ReviewItemRef)
        with env.deps.store.uow() as s:
            item = s.get(ReviewItem, ref.item_id)
            if item is None or item.reviewer_id != actor.person_id:
                raise NotAuthorized("You are not the reviewer of that item.")
            holder = s.get(Person, item.holder_id)
            entitlement = env.deps.catalog.entitlements.get(item.entitlement)
            what = (f"*{md.escape(entitlement.label if entitlement else item.entitlement)}* held by "
                    f"{md.person(holder.name or holder.email, holder.slack_user_id)}")
    if attempt.refused:
        return
    form = ReviewReasonForm(item_id=ref.item_id, verdict=verdict, parent_view_id=view_id,
                            campaign_id=where.campaign_id, page=where.page, group=where.group)
    client.views_push(trigger_id=body["trigger_id"], view=render_reason_modal(form, what))


def on_revoke_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    _ask_reason(body, client, respond, env, actor, decisions.REVOKE)


def on_keep_why_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    _ask_reason(body, client, respond, env, actor, decisions.KEEP)


def on_reason_submitted(ack, view, client, env, actor) -> None:
    with env.refusal_answered(actor, "review.decide", view, ack) as attempt:
        form = parse.view_meta(view, ReviewReasonForm)
        reason = parse.text_value(view, Block.DENY_REASON)
        env.perform(actor, "review.decide", lambda s, ctx: decisions.decide(
            s, ctx, item_id=form.item_id, reviewer=person_of(s, actor), verdict=form.verdict, reason=reason).status,
            subject=("review_item", form.item_id))
    if attempt.refused:
        return
    ack()  # closes the reason modal; the review underneath is redrawn
    env.later(redraw, env=env, client=client, actor=actor, view_id=form.parent_view_id,
              campaign_id=form.campaign_id, page=form.page, body={}, group=form.group)


def on_keep_all_clicked(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "review.keep_all", body=body, client=client, respond=respond) as attempt:
        view_id, where = _where(body)
        with env.deps.store.uow() as s:
            campaign = s.get(ReviewCampaignRun, where.campaign_id)
            mine = queries.progress(s, campaign, actor.person_id)
            left = mine.total - mine.decided
    if attempt.refused:
        return
    client.views_push(trigger_id=body["trigger_id"],
                      view=render_keep_all_modal(KeepAllForm(campaign_id=where.campaign_id, parent_view_id=view_id,
                                                            group=where.group),
                                                 left))


def on_keep_all_submitted(ack, view, client, env, actor) -> None:
    with env.refusal_answered(actor, "review.keep_all", view, ack) as attempt:
        form = parse.view_meta(view, KeepAllForm)
        reason = parse.text_value(view, Block.DENY_REASON)
        kept, left = env.perform(actor, "review.keep_all", lambda s, ctx: decisions.keep_all(
            s, ctx, campaign_id=form.campaign_id, reviewer=person_of(s, actor), reason=reason),
            subject=("review_campaign", form.campaign_id))
    if attempt.refused:
        return
    note = f"✅ Kept {kept} item(s)." + (f" {left} high or critical risk item(s) need a reason each." if left else "")
    ack(response_action="update", view=ui.notice_modal("Keep all remaining", note))
    env.later(redraw, env=env, client=client, actor=actor, view_id=form.parent_view_id,
              campaign_id=form.campaign_id, page=0, body={}, group=form.group)


@after_ack
def on_reassign_picked(ack, body, client, respond, env, actor) -> None:
    with env.refusal_shown(actor, "review.reassign", body=body, client=client, respond=respond) as attempt:
        view_id, where = _where(body)
        item_id = int(parse.action(body)["action_id"].rsplit(":", 1)[1])
        chosen = env.identity.resolve(parse.action(body).get("selected_user") or "", client)
        if not chosen.known:
            raise UnknownPerson(chosen.problem or "That person is not in accessbot's directory.")
        env.perform(actor, "review.reassign", lambda s, ctx: decisions.reassign(
            s, ctx, item_id=item_id, reviewer=person_of(s, actor), to=person_of(s, chosen.actor)).id,
            subject=("review_item", item_id))
    if attempt.refused:
        return
    redraw(env, client, actor, view_id, where.campaign_id, where.page, group=where.group)


@after_ack
def on_page_clicked(ack, body, client, respond, env, actor) -> None:
    with env.refusal_shown(actor, "review.page", body=body, client=client, respond=respond) as attempt:
        view_id, _ = _where(body)
        ref = parse.action_meta(body, ReviewRef)
    if attempt.refused:
        return
    redraw(env, client, actor, view_id, ref.campaign_id, ref.page, group=ref.group)


def register(app: App) -> None:
    app.action(Action.REVIEW_OPEN)(on_open_clicked)
    app.action(Action.REVIEW_KEEP)(on_keep_clicked)
    app.action(Action.REVIEW_KEEP_WHY)(on_keep_why_clicked)
    app.action(Action.REVIEW_REVOKE)(on_revoke_clicked)
    app.action(Action.REVIEW_KEEP_ALL)(on_keep_all_clicked)
    app.action(REASSIGN)(on_reassign_picked)
    app.action(PAGE)(on_page_clicked)
    app.view(Callback.REVIEW_REASON)(on_reason_submitted)
    app.view(Callback.REVIEW_KEEP_ALL)(on_keep_all_submitted)
