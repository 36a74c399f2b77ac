"""Business-time arithmetic, including weekends and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.ledger.business_hours import add_business_time, zone_for
from policies import BusinessHours

NINE_TO_FIVE = BusinessHours()  # 09:00-17:00 Mon-Fri
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_friday_afternoon_plus_two_business_hours_is_monday_ten():
    friday_four = local(NEW_YORK, 2026, 11, 13, 16, 0)
    due = add_business_time(friday_four, timedelta(hours=2), NINE_TO_FIVE, NEW_YORK)
    assert due.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 11, 16, 10, 0)
    assert due.tzinfo == UTC


def test_a_request_made_at_night_starts_counting_at_opening_time():
    tuesday_night = local(BERLIN, 2026, 6, 2, 23, 30)
    due = add_business_time(tuesday_night, timedelta(hours=4), NINE_TO_FIVE, BERLIN)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 6, 3, 13, 0)


def test_an_amount_ending_at_closing_time_ends_there():
    monday_nine = local(BERLIN, 2026, 6, 1, 9, 0)
    due = add_business_time(monday_nine, timedelta(hours=8), NINE_TO_FIVE, BERLIN)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 6, 1, 17, 0)


def test_several_days_of_business_time_skip_the_weekend():
    thursday_noon = local(BERLIN, 2026, 6, 4, 12, 0)
    due = add_business_time(thursday_noon, timedelta(hours=16), NINE_TO_FIVE, BERLIN)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 6, 8, 12, 0)  # Thu 5h + Fri 8h + Mon 3h


def test_the_same_instant_lands_differently_in_each_time_zone():
    friday_1500_utc = datetime(2026, 6, 5, 15, 0, tzinfo=UTC)  # 17:00 in Berlin, 11:00 in New York
    in_berlin = add_business_time(friday_1500_utc, timedelta(hours=1), NINE_TO_FIVE, BERLIN)
    in_new_york = add_business_time(friday_1500_utc, timedelta(hours=1), NINE_TO_FIVE, NEW_YORK)
    assert in_berlin.astimezone(BERLIN) == local(BERLIN, 2026, 6, 8, 10, 0)
    assert in_new_york.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 6, 5, 12, 0)


def test_spring_forward_weekend_keeps_local_opening_time():
    # Berlin moves to summer time on Sunday 29 March 2026: Monday 10:00 local is 08:00 UTC, not 09:00.
    friday_four = local(BERLIN, 2026, 3, 27, 16, 0)
    due = add_business_time(friday_four, timedelta(hours=2), NINE_TO_FIVE, BERLIN)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_fall_back_weekend_keeps_local_opening_time():
    # New York returns to standard time on Sunday 1 November 2026: Monday 10:00 is 15:00 UTC.
    friday_four = local(NEW_YORK, 2026, 10, 30, 16, 0)
    due = add_business_time(friday_four, timedelta(hours=2), NINE_TO_FIVE, NEW_YORK)
    assert due == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_a_window_spanning_a_clock_change_counts_the_hours_that_really_pass():
    # Open every day 00:00-23:59; on 29 March Berlin skips 02:00-03:00, so that day holds 22h59m.
    always = BusinessHours(start=time(0, 0), end=time(23, 59), days=frozenset(range(7)))
    sunday_midnight = local(BERLIN, 2026, 3, 29, 0, 0)
    due = add_business_time(sunday_midnight, timedelta(hours=23), always, BERLIN)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 3, 30, 0, 1)
    assert due - sunday_midnight.astimezone(UTC) == timedelta(hours=23, minutes=1)  # 23h work + the 1-min gap


def test_zero_amount_is_the_moment_itself_and_naive_moments_are_refused():
    moment = local(BERLIN, 2026, 6, 6, 3, 0)  # a Saturday night
    assert add_business_time(moment, timedelta(), NINE_TO_FIVE, BERLIN) == moment
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(datetime(2026, 6, 6), timedelta(hours=1), NINE_TO_FIVE, BERLIN)


def test_unknown_or_missing_zone_falls_back_to_the_catalog_zone():
    assert zone_for("America/New_York", "Europe/Berlin") == NEW_YORK
    assert zone_for(None, "Europe/Berlin") == BERLIN
    assert zone_for("Mars/Olympus_Mons", "Europe/Berlin") == BERLIN

