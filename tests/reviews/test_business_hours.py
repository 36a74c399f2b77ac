"""Review reminders and escalations fall in business hours (the catalog's 09:00-17:00 Mon-Fri, UTC here),
like approval reminders: a moment at night or on a day off moves to the next opening."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from bot.reviews import hours
from bot.reviews.timers import ReviewKind
from bot.store.models import Grant, ReviewCampaignRun
from bot.timers.service import TimerService
from policies.settings import BusinessHours
from tests.reviews.conftest import holding
from tests.reviews.test_campaigns import _start
from tests.support.deps import due_rows

UTC = timezone.utc


def test_a_reminder_due_in_the_evening_moves_to_the_next_morning(world, deps):
    holding(world, "alice@acme.test", "github:member")
    world.clock.advance(hours=11)  # Monday 2 November 2026, 20:00 UTC: after hours
    campaign = _start(deps, "github-owners")  # 10 days, a reminder 3 days before the deadline
    [remind] = due_rows(world.store, ReviewKind.REMIND)
    # The deadline minus 3 days is Monday 9 November 20:00: the reminder goes out on Tuesday at 09:00.
    assert remind.ref_id == str(campaign) and remind.due_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_an_escalation_deadline_lands_in_business_hours(world, deps):
    holding(world, "alice@acme.test", "erp:payments-create")
    with world.store.uow() as s:
        for grant in s.scalars(select(Grant)):
            grant.ends_at = None
    world.clock.advance(hours=11)  # Monday 20:00
    campaign = _start(deps, "escalating")  # 7 days, then 2 more after escalating
    world.advance(days=7, minutes=1)  # Monday 9 November 20:01: escalates
    TimerService(deps).sweep_once()
    with world.store.uow() as s:
        run = s.get(ReviewCampaignRun, campaign)
        # Wednesday 11 November 20:01 is after hours: the second deadline is Thursday at 09:00.
        assert run.escalated and run.due_at == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)


class _Settings:
    business_hours = BusinessHours(time(9), time(17), frozenset(range(5)))
    timezone = "Europe/Paris"


def test_next_opening_in_the_catalog_zone_and_never_after_the_deadline():
    saturday = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
    assert hours.next_opening(saturday, _Settings) == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    inside = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    assert hours.next_opening(inside, _Settings) == inside
    deadline = saturday + timedelta(hours=6)  # the opening would come after it: keep the moment
    assert hours.reminder_at(saturday, deadline, _Settings) == saturday
