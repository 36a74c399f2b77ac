"""Timer handlers for the review kinds (bot.reviews.timers); they run in the due row's transaction."""

from __future__ import annotations

import logging

from bot.domain.errors import InvalidState
from bot.ledger import due
from bot.reviews import deadline
from bot.reviews.start import campaign_policy, start_campaign
from bot.reviews.timers import ReviewKind

log = logging.getLogger(__name__)


def start_recurring(s, ctx, job, deps) -> bool:
    try:
        start_campaign(s, ctx, name=job.ref_id, by=None)
    except InvalidState:
        log.warning("review campaign %s is still open at its next start; starting it next time", job.ref_id)
        following = campaign_policy(ctx, job.ref_id).next_start(ctx.now)
        if following is not None:
            due.schedule(s, ReviewKind.START, job.ref_id, following, now=ctx.now)
    return False


def remind(s, ctx, job, deps) -> bool:
    deadline.remind(s, ctx, campaign_id=int(job.ref_id))
    return False


def at_deadline(s, ctx, job, deps) -> bool:
    return deadline.at_deadline(s, ctx, campaign_id=int(job.ref_id))


HANDLERS = {ReviewKind.START: start_recurring, ReviewKind.REMIND: remind, ReviewKind.DEADLINE: at_deadline}
