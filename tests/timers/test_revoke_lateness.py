"""The /metrics endpoint reports how late expired grants lost their access: from each grant's end
to the target confirming the revoke. Revocations for any other reason are not counted."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.deps import Deps
from bot.domain.enums import GrantStatus
from bot.http.app import create_app
from bot.ledger import end_grant
from bot.store.db import Store, create_engine_for
from bot.worker import Worker
from tests.timers.support import count_grants, seed_active_grants

LATENESS = "accessbot_revoke_lateness_seconds"


def scrape(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) if family.name == LATENESS
            for sample in family.samples}


@pytest.fixture
def client(deps):
    # No lifespan: its shutdown would close the Deps, which the fixture owns.
    return TestClient(create_app(deps.settings, deps=deps, plugins=[]))


def test_expired_grants_revocations_are_observed_with_their_lateness(world, timers, client):
    ends = world.clock.now() + timedelta(minutes=10)
    expiring = seed_active_grants(world, 3, lambda i: ends + timedelta(seconds=i))
    [revoked_by_admin] = seed_active_grants(world, 1, ends + timedelta(days=1), ref="erp:payments-approve")
    with world.store.uow() as s:
        end_grant.revoke(s, world.ctx(), grant_id=revoked_by_admin, by=None, reason="no longer needed")
    timers.sweep_once()
    assert count_grants(world.store, GrantStatus.REVOKED) == 1
    before = scrape(client)
    assert before[(f"{LATENESS}_count", ())] == 0

    world.advance(minutes=10, seconds=90)  # the bot was down: the three ends passed 90, 89 and 88 s ago
    assert timers.sweep_once() == 3
    assert count_grants(world.store, GrantStatus.EXPIRED) == len(expiring)

    after = scrape(client)
    assert after[(f"{LATENESS}_count", ())] == 3
    assert after[(f"{LATENESS}_sum", ())] == pytest.approx(90 + 89 + 88)
    assert after[(f"{LATENESS}_bucket", (("le", "60.0"),))] == 0
    assert after[(f"{LATENESS}_bucket", (("le", "300.0"),))] == 3


def test_the_worker_process_serves_the_lateness_it_measures_on_its_own_port(world, deps, timers):
    """With `accessbot serve` split in two, the runner lives in the worker: its /metrics has the histogram."""
    worker = Worker(deps, slack=False)  # not started: the test's own timers drive the same runner
    port = worker.serve_http(0)
    try:
        seed_active_grants(world, 2, world.clock.now() + timedelta(minutes=1))
        world.advance(minutes=1, seconds=30)
        assert timers.sweep_once() == 2
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        samples = {s.name: s.value for family in text_string_to_metric_families(text) if family.name == LATENESS
                   for s in family.samples if not s.labels}
        assert samples[f"{LATENESS}_count"] == 2 and samples[f"{LATENESS}_sum"] == pytest.approx(60)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["ok"] is True
    finally:
        worker.stop()


def test_the_worker_health_check_fails_when_its_database_does_not_answer(deps):
    unreachable = Store(create_engine_for("postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"))
    worker = Worker(Deps(deps.settings, unreachable, deps.catalog, deps.connectors, deps.clock), slack=False)
    port = worker.serve_http(0)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json()["ok"] is False and health.json()["problems"][0].startswith("database: ")
    finally:
        worker.stop()
        unreachable.dispose()
