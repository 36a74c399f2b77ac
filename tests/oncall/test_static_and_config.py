"""Static rotations (handoffs on local time across daylight saving, overrides) and the on-call file's errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.clock import ManualClock
from bot.oncall.config import OnCallConfigError, parse
from bot.oncall.service import build

ROTA = {"time_zone": "Europe/Berlin",
        "rotations": [{"level": 1, "start": "2026-10-19", "handoff": "09:00", "every": "7d",
                       "people": ["bob@acme.test", "olga@acme.test"]},
                      {"level": 2, "start": "2026-10-19", "handoff": "09:00", "every": "1d",
                       "people": ["dana@acme.test"]}],
        "overrides": [{"person": "alice@acme.test", "from": "2026-11-04T18:00", "until": "2026-11-05T09:00"}]}


def lookup(at: datetime):
    return build(parse({"schedules": {"support": ROTA}}), {}, ManualClock(at), timedelta(seconds=60))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_handoff_stays_at_nine_local_across_the_end_of_summer_time():
    # Week of 19 Oct: Bob from 09:00 CEST (07:00 UTC); summer time ends on 25 Oct; Olga from 09:00 CET (08:00 UTC).
    assert lookup(utc(2026, 10, 26, 7, 30)).status("support", "bob@acme.test").on_call
    olga = lookup(utc(2026, 10, 26, 8, 0)).status("support", "olga@acme.test")
    assert olga.on_call and olga.level == 1 and olga.ends_at == utc(2026, 11, 2, 8, 0)
    dana = lookup(utc(2026, 10, 26, 8, 0)).status("support", "dana@acme.test")
    assert dana.level == 2 and dana.ends_at == utc(2026, 10, 27, 8, 0)


def test_an_override_replaces_the_rotation_and_cuts_the_shift_before_it():
    before = lookup(utc(2026, 11, 4, 12, 0))
    bob = before.status("support", "bob@acme.test")  # week of 2 Nov: Bob again
    assert bob.on_call and bob.ends_at == utc(2026, 11, 4, 17, 0)  # until the override starts, 18:00 CET
    during = lookup(utc(2026, 11, 4, 20, 0))
    assert not during.status("support", "bob@acme.test").on_call
    alice = during.status("support", "alice@acme.test")
    assert alice.on_call and alice.level == 1 and alice.ends_at == utc(2026, 11, 5, 8, 0)
    assert during.status("support", "dana@acme.test").level == 2  # the override is for level 1 only
    assert not lookup(utc(2026, 11, 5, 8, 0)).status("support", "alice@acme.test").on_call


def test_before_the_rotation_starts_nobody_is_on_call_and_unknown_schedules_say_so():
    early = lookup(utc(2026, 10, 1, 12, 0))
    assert not early.status("support", "bob@acme.test").on_call
    assert early.status("nope", "bob@acme.test").problem == "not defined in the on-call file"


@pytest.mark.parametrize(("data", "expected"), [
    ({"providers": {"pd": {"type": "pagerduty", "token": "u+abcdefg"}}}, "must be a reference"),
    ({"providers": {"pd": {"type": "pagerduty", "api_key": {"env": "X"}}}}, "needs token"),
    ({"schedules": {"s": {"provider": "pd", "schedule": "P1"}}}, "unknown provider 'pd'"),
    ({"schedules": {"s": {"time_zone": "Mars/Olympus", "rotations": []}}}, "unknown time zone"),
    ({"schedules": {"s": {}}}, "needs rotations"),
    ({"schedules": {"s": {"rotations": [{"start": "2026-01-01", "handoff": "25:00", "people": ["a@b"]}]}}},
     "not a time of day"),
    ({"schedules": {"s": {"rotations": [{"start": "2026-01-01", "people": ["a@b"]}],
                          "overrides": [{"person": "a@b", "from": "2026-01-02T10:00", "until": "2026-01-02T09:00"}]}}},
     "ends after it starts"),
    ({"providers": {"pd": {"type": "pagerduty", "token": {"env": "X"}}},
      "schedules": {"s": {"provider": "pd", "schedule": "P1", "escalation_policy": "E1"}}}, "exactly one of"),
    ({"providers": {"pd": {"type": "pagerduty", "token": {"env": "X"}, "base_url": "http://pd.example"}}},
     "https://"),
])
def test_mistakes_in_the_file_are_named(data, expected):
    with pytest.raises(OnCallConfigError) as caught:
        parse(data, source="on-call.yaml")
    assert expected in str(caught.value) and str(caught.value).startswith("on-call.yaml: ")


def test_an_absent_credential_stops_the_build_with_its_name():
    spec = parse({"providers": {"pd": {"type": "pagerduty", "token": {"env": "PD_TOKEN_NOT_SET"}}}})
    with pytest.raises(OnCallConfigError, match="providers.pd: environment variable PD_TOKEN_NOT_SET is not set"):
        build(spec, {}, ManualClock(), timedelta(seconds=60))
