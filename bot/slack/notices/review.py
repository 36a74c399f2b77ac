"""Access reviews in Slack: one DM per reviewer when a campaign starts (and a reminder later), the
campaign's message for IT (redrawn after each decision and as it escalates or closes), and the holder's notice of a revoke."""

from __future__ import annotations

from bot.reviews import queries
from bot.reviews.events import ReviewEvent
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.review import campaign_view
from bot.slack.views.review import render_campaign_message, render_review_dm, render_revoked_notice
from bot.store.models import ReviewCampaignRun, ReviewItem

CAMPAIGN = "campaign"


def _dm_reviewers(d: Dispatch, event: Event, purpose_of) -> None:
    campaign_id = int(event.payload["review_campaign_id"])
    subject = ("review_campaign", campaign_id)
    for reviewer_id in event.payload.get("reviewer_ids") or []:
        purpose = purpose_of(reviewer_id)
        if d.out.has(subject, purpose, reviewer_id):
            continue  # a retried event: this reviewer already has it
        with d.deps.store.uow() as s:
            view = campaign_view(s, campaign_id)
            mine = queries.progress(s, s.get(ReviewCampaignRun, campaign_id), reviewer_id)
        if view.status != "open":
            return
        d.out.post_dm(reviewer_id, render_review_dm(view, mine.decided, mine.total), subject=subject, purpose=purpose)
        d.refresh_home(reviewer_id)


def on_started(d: Dispatch, event: Event) -> None:
    campaign_id = int(event.payload["review_campaign_id"])
    subject = ("review_campaign", campaign_id)
    if not d.out.has(subject, CAMPAIGN):
        with d.deps.store.uow() as s:
            view = campaign_view(s, campaign_id)
        post_to_it(d, render_campaign_message(view), subject=subject, purpose=CAMPAIGN)
    _dm_reviewers(d, event, lambda reviewer_id: f"reviewer:{reviewer_id}")


def on_reminded(d: Dispatch, event: Event) -> None:
    _dm_reviewers(d, event, lambda reviewer_id: f"reminder:{event.id}:{reviewer_id}")


def on_campaign_changed(d: Dispatch, event: Event) -> None:
    campaign_id = int(event.payload["review_campaign_id"])
    with d.deps.store.uow() as s:
        view = campaign_view(s, campaign_id)
    for copy in d.out.copies(("review_campaign", campaign_id), CAMPAIGN):
        d.out.update(copy, render_campaign_message(view))


def on_decided(d: Dispatch, event: Event) -> None:
    """A revoked item: its holder is told why (from the reviewer, or the deadline's default)."""
    item_id = int(event.payload["review_item_id"])
    subject, purpose = ("review_item", item_id), "holder"
    with d.deps.store.uow() as s:
        item = s.get(ReviewItem, item_id)
        campaign = s.get(ReviewCampaignRun, item.campaign_id)
        entitlement = d.deps.catalog.entitlements.get(item.entitlement)
        label = entitlement.label if entitlement else item.entitlement
        holder_id, reason, name = item.holder_id, item.reason or "", campaign.name
    if item.status == "revoked" and not d.out.has(subject, purpose):
        d.out.post_dm(holder_id, render_revoked_notice(label, name, reason), subject=subject, purpose=purpose)
    d.refresh_home(holder_id)


def register(handlers: Handlers) -> None:
    handlers.add(ReviewEvent.STARTED, on_started)
    handlers.add(ReviewEvent.REMINDED, on_reminded)
    handlers.add(ReviewEvent.CLOSED, on_campaign_changed)
    handlers.add(ReviewEvent.ESCALATED, on_campaign_changed)
    handlers.add(ReviewEvent.PROGRESSED, on_campaign_changed)  # after each decision: "34 of 120 reviewed"
    handlers.add(ReviewEvent.DECIDED, on_decided)
