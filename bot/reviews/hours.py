"""When review reminders and escalations fall: inside business hours, like approval reminders.

A campaign has one reminder timer, not one per reviewer, so the catalog's time zone and business
hours decide (``settings.business_hours``, ``settings.timezone``). A moment at night or on a day off
moves to the next opening; a reminder that would then land after the deadline keeps its moment
(late at night beats after the deadline).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.ledger.business_hours import window, zone_for

DAYS_AHEAD = 14  # a week with at least one business day has an opening within this


def next_opening(moment: datetime, settings) -> datetime:
    """``moment`` if it is business time, else the next opening (UTC); ``moment`` when none is found."""
    hours = settings.business_hours
    if hours is None or not hours.days:
        return moment
    zone = zone_for(None, settings.timezone)
    day = moment.astimezone(zone).date()
    for offset in range(DAYS_AHEAD):
        bounds = window(day + timedelta(days=offset), hours, zone)
        if bounds is None or moment >= bounds[1]:
            continue
        return max(moment, bounds[0])
    return moment


def reminder_at(moment: datetime, deadline: datetime, settings) -> datetime:
    moved = next_opening(moment, settings)
    return moved if moved < deadline else moment
