"""The usage routes of the admin API over HTTP (docs/api.md, docs/usage.md): the licenses figures are the
CLI's, a person's last activity per account, and "collect now" for IT only, honouring a throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.http.app import create_app
from bot.store.models import AuditEvent
from bot.timers.service import TimerService
from bot.usage import collect
from bot.usage import report as licenses
from bot.usage.timers import UsageTimer, stale_after
from connectors.errors import RateLimited
from tests.support.deps import close, deps_for, due_rows
from tests.support.world import make_world
from tests.usage.conftest import USAGE_CATALOG, holding, used

TOKEN = "admin-token-for-usage-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, catalog_text=USAGE_CATALOG)


@pytest.fixture
def deps(world):
    d = deps_for(world, admin_api_token=TOKEN)
    d.runs_background_work = False
    yield d
    close(d)


@pytest.fixture
def api(deps):
    return TestClient(create_app(deps.settings, deps=deps, plugins=[]))


def _seats(world, deps) -> None:
    """Alice idle 45 days, Bob active, Dana unknown, on priced Salesforce seats; one complete pass."""
    for email in ("alice@acme.test", "bob@acme.test", "dana@acme.test"):
        holding(world, email, "salesforce:sales-cloud")
    world.advance(days=60)
    used(world, "alice@acme.test", 45)
    used(world, "bob@acme.test", 2)
    used(world, "dana@acme.test", None)
    assert collect.collect(deps, "mem").status == "complete"


def test_the_licenses_route_gives_the_figures_of_the_cli_report(world, deps, api):
    _seats(world, deps)
    answer = api.get("/api/v1/usage/licenses", headers=AUTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [row] = [r for r in body["seats"] if r["entitlement"] == "salesforce:sales-cloud"]
    assert (row["seats"], row["active"], row["inactive"], row["unknown"]) == (3, 1, 1, 1)
    assert row["potential_monthly_cents"] == 15000 and body["potential_monthly_cents"] == {"USD": 15000}
    now = world.clock.now()
    with world.store.uow() as s:
        cli = licenses.as_document(licenses.build(s, world.catalog, now, now - timedelta(days=30), now,
                                                  stale_after=stale_after(deps.settings)))
    assert body["seats"] == cli["seats"] and body["reclaimed"] == cli["reclaimed"]
    assert api.get("/api/v1/usage/licenses", params={"since": "2026-12-01", "until": "2026-01-01"},
                   headers=AUTH).status_code == 422


def test_a_persons_usage_lists_each_account_and_says_unknown_and_stale(world, deps, api):
    _seats(world, deps)
    [alice] = api.get("/api/v1/people/alice@acme.test/usage", headers=AUTH).json()
    assert alice["connector"] == "mem" and alice["fresh"] is True and alice["data"] == "fresh"
    assert alice["last_activity_at"].startswith(f"{world.clock.now() - timedelta(days=45):%Y-%m-%d}")
    [dana] = api.get("/api/v1/people/dana@acme.test/usage", headers=AUTH).json()
    assert dana["last_activity_at"] is None  # unknown, never "never used"
    world.advance(hours=73)
    [stale] = api.get("/api/v1/people/alice@acme.test/usage", headers=AUTH).json()
    assert stale["fresh"] is False and "older than" in stale["data"]
    missing = api.get("/api/v1/people/nobody@acme.test/usage", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_person"
    assert api.get("/api/v1/people/a%00b@acme.test/usage", headers=AUTH).status_code == 422


def test_collect_now_schedules_a_pass_for_it_only_and_the_timer_runs_it(world, deps, api):
    _seats(world, deps)
    world.advance(hours=1)
    used(world, "dana@acme.test", 1)
    refused = api.post("/api/v1/usage/mem/collect", json={"actor": "alice@acme.test"}, headers=AUTH)
    assert refused.status_code == 403 and refused.json()["code"] == "not_authorized"
    assert api.post("/api/v1/usage/nope/collect", json={"actor": "ivan@acme.test"},
                    headers=AUTH).json()["code"] == "not_found"
    answer = api.post("/api/v1/usage/mem/collect", json={"actor": "ivan@acme.test"}, headers=AUTH)
    assert answer.status_code == 202, answer.text
    [row] = due_rows(world.store, UsageTimer.COLLECT)
    assert row.due_at == world.clock.now()  # moved from 24 hours after the last pass
    TimerService(deps).sweep_once()
    [dana] = api.get("/api/v1/people/dana@acme.test/usage", headers=AUTH).json()
    assert dana["last_activity_at"] is not None
    with world.store.uow() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "usage.collect_requested")).all()
        assert [(a.actor, a.subject_id) for a in audit] == [("ivan@acme.test", "mem")]


def test_collect_now_honours_a_throttle(world, deps, api):
    _seats(world, deps)
    world.mem.activity_failures.append(RateLimited("slow down", retry_after=600))
    assert collect.collect(deps, "mem").status == "waiting"
    answer = api.post("/api/v1/usage/mem/collect", json={"actor": "ivan@acme.test"}, headers=AUTH)
    assert answer.status_code == 409 and answer.json()["code"] == "invalid_state"
    assert "rate limit" in answer.json()["detail"]
