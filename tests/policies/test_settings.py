"""Settings: IT admins, fallback approvers, business hours and the business-time arithmetic reminders use."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies.settings import BusinessHours, Settings, parse_days

SETTINGS = """
settings:
  it_admins_group: it-admins
  it_channel: C0ITOPS001
  fallback:
    people: [cto@acme.example]
    group: security
  business_hours: {start: "08:30", end: "18:00", days: Sun-Thu}
  timezone: Asia/Jerusalem
resources:
  wiki:
    connector: okta
    entitlements:
      editor: {target: g1}
"""


def test_settings_are_read(catalog_from):
    settings = catalog_from(SETTINGS).settings
    assert settings.it_admins_group == "it-admins"
    assert settings.it_channel == "C0ITOPS001"
    assert settings.fallback_people == ["cto@acme.example"]
    assert settings.fallback_group == "security"
    assert settings.business_hours == BusinessHours(time(8, 30), time(18, 0), frozenset({6, 0, 1, 2, 3}))
    assert settings.timezone == "Asia/Jerusalem"


def test_fallback_group_defaults_to_it_admins(catalog_from):
    settings = catalog_from(SETTINGS.replace("  fallback:\n    people: [cto@acme.example]\n    group: security\n",
                                             "")).settings
    assert (settings.fallback_people, settings.fallback_group) == ([], "it-admins")


def test_defaults_without_settings(catalog_from):
    settings = catalog_from("resources:" + SETTINGS.split("resources:")[1]).settings
    assert settings == Settings()
    assert settings.business_hours.describe() == "09:00-17:00 Mon, Tue, Wed, Thu, Fri"


def test_business_hours_written_as_one_string(catalog_from):
    catalog = catalog_from(SETTINGS.replace('{start: "08:30", end: "18:00", days: Sun-Thu}', '"10:00-16:00 Mon,Wed"'))
    assert catalog.settings.business_hours == BusinessHours(time(10), time(16), frozenset({0, 2}))


@pytest.mark.parametrize("hours, message", [
    ('"9-5"', "'9-5' should look like \"09:00-17:00 Mon-Fri\""),
    ('{start: "17:00", end: "09:00"}', "business hours must end after they start (17:00-09:00)"),
    ('{days: Funday}', "'funday' is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun"),
    ('{start: "25:00"}', "'25:00' is not a time of day; write it as HH:MM, e.g. 09:00"),
])
def test_bad_business_hours(issues_from, hours, message):
    issues = issues_from(SETTINGS.replace('{start: "08:30", end: "18:00", days: Sun-Thu}', hours))
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:7: settings: business_hours")
    assert issues[0].endswith(message)


def test_parse_days():
    assert parse_days("Mon-Fri") == frozenset(range(5))
    assert parse_days("Fri-Mon") == frozenset({4, 5, 6, 0})
    assert parse_days(["monday", "Wed"]) == frozenset({0, 2})


LONDON = ZoneInfo("Europe/London")
HOURS = BusinessHours()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_business_time_within_one_day():
    # Monday 2026-11-23 10:00 London (= UTC in winter) + 4h -> 14:00 the same day.
    assert HOURS.add(utc(2026, 11, 23, 10), timedelta(hours=4), LONDON) == utc(2026, 11, 23, 14)


def test_business_time_carries_over_the_night_and_the_weekend():
    # Friday 15:00 + 4 business hours: 2h on Friday, 2h on Monday from 09:00.
    assert HOURS.add(utc(2026, 11, 27, 15), timedelta(hours=4), LONDON) == utc(2026, 11, 30, 11)


def test_business_time_started_outside_hours_begins_at_opening():
    # Saturday night request: 30 minutes of business time ends Monday 09:30.
    assert HOURS.add(utc(2026, 11, 28, 23), timedelta(minutes=30), LONDON) == utc(2026, 11, 30, 9, 30)


def test_business_time_respects_the_time_zone_and_summer_time():
    # 2026-07-01 is summer time in London (UTC+1): Wednesday 16:30 local = 15:30 UTC; +1h -> Thursday 09:30 local.
    assert HOURS.add(utc(2026, 7, 1, 15, 30), timedelta(hours=1), LONDON) == utc(2026, 7, 2, 8, 30)


def test_settings_business_deadline_uses_the_catalog_zone():
    settings = Settings(timezone="America/New_York")
    # Monday 2026-11-23 13:00 UTC = 08:00 New York: opening at 09:00 local (14:00 UTC) + 1h = 15:00 UTC.
    assert settings.business_deadline(utc(2026, 11, 23, 13), timedelta(hours=1)) == utc(2026, 11, 23, 15)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURS.add(datetime(2026, 11, 23, 10), timedelta(hours=1), LONDON)
