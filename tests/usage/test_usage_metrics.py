"""Usage on /metrics: seats by state per entitlement (the licenses report's figures), the potential
saving, the seats reclaimed, and the last complete pass per target; a stale pass turns seats unknown."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.http.app import create_app
from bot.timers.service import TimerService
from bot.usage import collect
from bot.usage import metrics as usage_metrics
from tests.usage.conftest import holding, used


def _samples(client) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(client.get("/metrics").text) for s in family.samples}


def _seat(state: str, entitlement: str = "salesforce:sales-cloud") -> tuple[str, tuple]:
    return "accessbot_usage_seats", (("entitlement", entitlement), ("resource", entitlement.split(":")[0]),
                                     ("state", state))


def test_seats_savings_reclaimed_seats_and_the_last_pass(world, deps, monkeypatch):
    monkeypatch.setattr(usage_metrics, "CACHE_SECONDS", 0.0)  # each scrape reads the ledger again
    client = TestClient(create_app(deps.settings, deps=deps, plugins=[]))
    for email in ("alice@acme.test", "bob@acme.test", "dana@acme.test", "erin@acme.test"):
        holding(world, email, "salesforce:sales-cloud")
    world.advance(days=60)
    used(world, "alice@acme.test", 45)
    used(world, "erin@acme.test", 40)
    used(world, "bob@acme.test", 2)
    used(world, "dana@acme.test", None)
    assert collect.collect(deps, "mem").status == "complete"
    completed_at = world.clock.now().timestamp()
    got = _samples(client)
    assert [got[_seat(state)] for state in ("active", "inactive", "unknown")] == [1, 2, 1]
    assert got[("accessbot_usage_potential_monthly_savings", (("currency", "USD"),))] == 300.0
    assert got[("accessbot_usage_last_complete_collection_timestamp_seconds", (("connector", "mem"),))] == completed_at
    assert not [k for k in got if k[0] == "accessbot_usage_reclaimed_seats_total"]

    TimerService(deps).sweep_once()  # the evaluation asks Alice and Erin
    world.advance(days=7, minutes=1)
    TimerService(deps).sweep_once()  # nobody answered: released
    world.run()
    got = _samples(client)
    assert got[("accessbot_usage_reclaimed_seats_total", (("entitlement", "salesforce:sales-cloud"),))] == 2
    assert got[("accessbot_usage_reclaimed_monthly_savings_total", (("currency", "USD"),))] == 300.0
    assert got[_seat("inactive")] == 0  # the released seats are no longer held

    world.advance(hours=73)  # the last pass (the sweep ran the daily one) is stale: nothing known
    got = _samples(client)
    assert got[_seat("unknown")] == 2 and got[_seat("active")] == 0


def test_seat_figures_are_cached_between_scrapes(world, deps):
    client = TestClient(create_app(deps.settings, deps=deps, plugins=[]))
    holding(world, "alice@acme.test", "salesforce:sales-cloud")
    first = _samples(client)
    holding(world, "bob@acme.test", "salesforce:sales-cloud")
    assert _samples(client)[_seat("unknown")] == first[_seat("unknown")] == 1
    world.advance(days=1)  # the cache is on the process's monotonic clock, not the ledger's
    assert _samples(client)[_seat("unknown")] == 1
