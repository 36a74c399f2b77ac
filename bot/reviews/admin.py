"""What IT does to campaigns, the same from Slack (/access-admin review), the CLI and the admin API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NotFoundError
from bot.ledger.context import Ctx
from bot.ledger.authorisation import require_it_admin
from bot.reviews import deadline, queries
from bot.reviews.start import start_campaign
from bot.store.models import Person, ReviewCampaignRun


def run_of(s: Session, ref: str) -> ReviewCampaignRun:
    campaign = queries.find_campaign(s, str(ref))
    if campaign is None:
        raise NotFoundError(f"No review campaign run {ref!r} (give a campaign name or a run's number).")
    return campaign


def start(s: Session, ctx: Ctx, *, name: str, by: Person | None) -> queries.Progress:
    return queries.progress(s, start_campaign(s, ctx, name=name, by=by))


def status(s: Session, ref: str | None = None) -> list[queries.Progress]:
    runs = [run_of(s, ref)] if ref else list(s.scalars(select(ReviewCampaignRun).order_by(ReviewCampaignRun.id)))
    return [queries.progress(s, run) for run in runs]


def remind(s: Session, ctx: Ctx, *, ref: str, by: Person | None) -> int:
    if by is not None:
        require_it_admin(ctx, by, "remind reviewers")
    return len(deadline.remind(s, ctx, campaign_id=run_of(s, ref).id))


def close(s: Session, ctx: Ctx, *, ref: str, by: Person | None) -> queries.Progress:
    """``by`` None only from the shell (the CLI's own user is on record)."""
    run = run_of(s, ref)
    deadline.close(s, ctx, campaign_id=run.id, by=by)
    return queries.progress(s, run)
