"""The PagerDuty and Opsgenie sources against fakes that follow their documented APIs, and the cache."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.oncall.config import OPSGENIE_URLS, parse
from bot.oncall.pagerduty import parse_time as pagerduty_time
from bot.oncall.service import build
from tests.oncall.fakes.opsgenie import FakeOpsgenie
from tests.oncall.fakes.pagerduty import FakePagerDuty
from tests.oncall.support import OG_KEY_VARIABLE, PD_TOKEN_VARIABLE
from tests.support.http_peer import Reply

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def service(pagerduty: FakePagerDuty | None = None, opsgenie: FakeOpsgenie | None = None, *, clock=None,
            environ=None, schedules=None):
    providers = {}
    if pagerduty:
        providers["pd"] = {"type": "pagerduty", "token": {"env": PD_TOKEN_VARIABLE}, "base_url": pagerduty.url}
    if opsgenie:
        providers["og"] = {"type": "opsgenie", "api_key": {"env": OG_KEY_VARIABLE}, "base_url": opsgenie.url}
    defaults = {"payments": {"provider": "pd", "escalation_policy": "PEP0001"},
                "payments-primary": {"provider": "pd", "schedule": "PPAY001"},
                "platform": {"provider": "og", "schedule": "platform_rota", "identifier_type": "name"}}
    schedules = schedules or {name: s for name, s in defaults.items() if s["provider"] in providers}
    spec = parse({"providers": providers, "schedules": schedules})
    environ = environ if environ is not None else {PD_TOKEN_VARIABLE: pagerduty.token if pagerduty else "",
                                                   OG_KEY_VARIABLE: opsgenie.api_key if opsgenie else ""}
    return build(spec, {k: v for k, v in environ.items() if v}, clock or ManualClock(NOW), timedelta(seconds=60))


@pytest.fixture
def pagerduty():
    with FakePagerDuty() as fake:
        for n in range(130):  # more than one page of 100
            fake.user(f"PU{n:05d}", f"person{n}@acme.test")
            fake.on_call(f"PU{n:05d}", policy="PEPOTHER", level=1, start=NOW - timedelta(hours=1),
                         end=NOW + timedelta(hours=1))
        fake.user("PALICE1", "Alice@Acme.test")
        yield fake


def test_levels_come_from_the_escalation_policy_and_every_page_is_read(pagerduty):
    for n in range(120):  # alice's entry comes after 120 others of the same policy: page two
        pagerduty.on_call(f"PU{n:05d}", policy="PEP0001", level=3, start=NOW - timedelta(hours=1), end=None)
    pagerduty.on_call("PALICE1", policy="PEP0001", level=2, start=NOW - timedelta(hours=2),
                      end=NOW + timedelta(hours=3))
    answer = service(pagerduty).status("payments", "alice@acme.test")
    assert answer.on_call and answer.level == 2 and answer.ends_at == NOW + timedelta(hours=3)
    offsets = [r.query for r in pagerduty.oncall_requests()]
    assert len(offsets) == 2 and "offset=100" in offsets[1] and "escalation_policy_ids%5B%5D=PEP0001" in offsets[0]


def test_times_in_another_zone_compare_correctly(pagerduty):
    """PagerDuty renders times in the asked time_zone; whatever the offset, the same instant is meant."""
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, start=NOW - timedelta(hours=8), end=NOW, schedule="PPAY001")
    assert not service(pagerduty).status("payments-primary", "alice@acme.test").on_call  # ended at 09:00 UTC
    tokyo = httpx.get(f"{pagerduty.url}/oncalls", headers={"Authorization": f"Token token={pagerduty.token}"},
                      params={"schedule_ids[]": "PPAY001", "time_zone": "Asia/Tokyo", "since": "2026-11-02T08:00:00Z",
                              "until": "2026-11-02T08:00:01Z"}).json()["oncalls"][0]
    assert tokyo["end"] == "2026-11-02T18:00:00+09:00" and pagerduty_time(tokyo["end"]) == NOW


def test_an_override_replaces_the_layer_for_its_window(pagerduty):
    pagerduty.user("PBOB001", "bob@acme.test")
    pagerduty.on_call("PBOB001", policy="PEP0001", level=1, schedule="PPAY001", start=NOW - timedelta(days=1),
                      end=NOW + timedelta(days=6))
    pagerduty.override("PPAY001", "PALICE1", NOW - timedelta(hours=1), NOW + timedelta(hours=2))
    lookup = service(pagerduty)
    alice = lookup.status("payments-primary", "alice@acme.test")
    assert alice.on_call and alice.level == 1 and alice.ends_at == NOW + timedelta(hours=2)
    assert not lookup.status("payments-primary", "bob@acme.test").on_call


def test_emails_are_read_from_the_user_when_include_is_not_honoured(pagerduty):
    pagerduty.include_honoured = False
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, start=NOW, end=NOW + timedelta(hours=1))
    assert service(pagerduty).status("payments", "alice@acme.test").on_call
    assert pagerduty.peer.requests_to("GET", "/users/PALICE1")


def test_the_roster_is_cached_and_a_finished_shift_ends_even_from_the_cache(pagerduty):
    clock = ManualClock(NOW)
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, start=NOW, end=NOW + timedelta(seconds=30))
    lookup = service(pagerduty, clock=clock)
    assert lookup.status("payments", "alice@acme.test").on_call
    assert lookup.status("payments", "someone@acme.test").on_call is False
    clock.advance(seconds=40)
    assert not lookup.status("payments", "alice@acme.test").on_call  # same roster, shift over
    assert len(pagerduty.oncall_requests()) == 1  # asked once
    clock.advance(seconds=30)
    lookup.status("payments", "alice@acme.test")
    assert len(pagerduty.oncall_requests()) == 2  # the TTL passed: asked again


def test_429_is_not_on_call_and_retry_after_is_honoured(pagerduty):
    clock = ManualClock(NOW)
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, start=NOW, end=None)
    pagerduty.throttled = 1
    lookup = service(pagerduty, clock=clock)
    answer = lookup.status("payments", "alice@acme.test")
    assert not answer.on_call and "rate-limiting us (429)" in answer.problem and "30s" in answer.problem
    clock.advance(seconds=20)
    assert lookup.status("payments", "alice@acme.test").problem  # still waiting as asked: not asked again
    assert len(pagerduty.oncall_requests()) == 1
    clock.advance(seconds=11)
    assert lookup.status("payments", "alice@acme.test").on_call


def test_a_wrong_token_is_401_and_never_on_call(pagerduty):
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, start=NOW, end=None)
    lookup = service(pagerduty, environ={PD_TOKEN_VARIABLE: "not-the-token-000000"})
    answer = lookup.status("payments", "alice@acme.test")
    assert not answer.on_call and "refused the credential (401)" in answer.problem
    assert "not-the-token" not in answer.problem


def test_opsgenie_by_name_with_an_override_and_its_errors():
    with FakeOpsgenie() as fake:
        rota = fake.schedule("4f1e", "platform_rota", ["bob@acme.test"])
        rota.overrides.append(("alice@acme.test", NOW - timedelta(hours=1), NOW + timedelta(hours=1)))
        lookup = service(opsgenie=fake)
        alice = lookup.status("platform", "alice@acme.test")
        assert alice.on_call and alice.level == 1 and alice.ends_at == NOW + timedelta(hours=1)  # the override's end
        assert not lookup.status("platform", "bob@acme.test").on_call
        asked, timeline = fake.peer.requests
        assert asked.path == "/v2/schedules/platform_rota/on-calls" and "scheduleIdentifierType=name" in asked.query
        assert timeline.path == "/v2/schedules/platform_rota/timeline" and "identifierType=name" in timeline.query
        assert "intervalUnit=weeks" in timeline.query
        assert {r.headers["authorization"] for r in (asked, timeline)} == {f"GenieKey {fake.api_key}"}

        fake.throttled = 1
        throttled = service(opsgenie=fake).status("platform", "alice@acme.test")
        assert "429" in throttled.problem and "20s" in throttled.problem
        missing = service(opsgenie=fake, schedules={"platform": {"provider": "og", "schedule": "nope"}})
        assert "does not know this schedule (404)" in missing.status("platform", "alice@acme.test").problem
        refused = service(opsgenie=fake, environ={OG_KEY_VARIABLE: "wrong-key-00000000"})
        assert "401" in refused.status("platform", "alice@acme.test").problem


def test_opsgenie_shift_ends_come_from_the_timeline_across_back_to_back_periods():
    with FakeOpsgenie() as fake:
        rota = fake.schedule("4f1e", "platform_rota", [])
        rota.shifts += [("alice@acme.test", NOW - timedelta(hours=3), NOW + timedelta(hours=1)),
                        ("alice@acme.test", NOW + timedelta(hours=1), NOW + timedelta(hours=2)),  # her next period
                        ("bob@acme.test", NOW + timedelta(hours=2), NOW + timedelta(hours=9)),
                        ("alice@acme.test", NOW + timedelta(hours=9), NOW + timedelta(hours=12))]
        lookup = service(opsgenie=fake)
        alice = lookup.status("platform", "alice@acme.test")
        assert alice.on_call and alice.ends_at == NOW + timedelta(hours=2)  # not her shift of tonight
        assert not lookup.status("platform", "bob@acme.test").on_call
        broken = FakeOpsgenie()
        with broken:  # on-calls answers, the timeline does not: never on call with an unknown end
            broken.schedule("4f1e", "platform_rota", ["alice@acme.test"])
            broken.peer.responder = lambda r, inner=broken._answer: (
                Reply(500, json={"message": "boom"}) if r.path.endswith("/timeline") else inner(r))
            answer = service(opsgenie=broken).status("platform", "alice@acme.test")
        assert not answer.on_call and "HTTP 500" in answer.problem


def test_opsgenie_eu_accounts_use_the_eu_host():
    spec = parse({"providers": {"og": {"type": "opsgenie", "api_key": {"env": "K"}, "region": "eu"}}})
    assert spec.providers["og"].url == OPSGENIE_URLS["eu"] == "https://api.eu.opsgenie.com"
