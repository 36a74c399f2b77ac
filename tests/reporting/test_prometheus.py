"""/metrics (the web app's and the worker's): per-connector calls, errors and latency, lifecycle
histograms, and ledger gauges, with bounded labels only."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.http.app import create_app
from bot.reconcile.run import reconcile
from bot.worker import Worker
from tests.reporting import history
from tests.support.deps import close, deps_for


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_connector_calls_lifecycle_times_and_ledger_gauges(world, deps):
    client = TestClient(create_app(deps.settings, deps=deps, plugins=[]))
    known = history.build(world, deps, runner=deps.runner)
    world.mem.members["gh-members"].add("erin@acme.test")
    reconcile(deps)
    reconcile(deps)  # the same orphan again: still one
    pending = world.submit("alice@acme.test", "wiki:editor")
    got = samples(client.get("/metrics").text)

    assert got[("accessbot_connector_calls_total", (("action", "grant"), ("connector", "mem"), ("outcome", "ok")))] == 2
    # The offboarding's first call failed (which one comes first varies: its systems run in parallel).
    errors = {labels: v for (name, labels), v in got.items() if name == "accessbot_connector_errors_total"}
    assert len(errors) == 1 and sum(errors.values()) == 1
    [labels] = errors
    assert dict(labels)["kind"] == "transient" and dict(labels)["connector"] == "mem"
    failed_calls = sum(v for (name, labels), v in got.items()
                       if name == "accessbot_connector_calls_total" and ("outcome", "error") in labels)
    assert failed_calls == 1
    assert got[("accessbot_connector_call_duration_seconds_count", (("action", "grant"), ("connector", "mem")))] == 2

    assert got[("accessbot_time_to_provision_seconds_count", (("connector", "mem"),))] == 2
    assert got[("accessbot_time_to_provision_seconds_sum", (("connector", "mem"),))] == pytest.approx(1200)
    assert got[("accessbot_time_to_approve_seconds_count", ())] == 1  # the auto-approved one is not counted
    assert got[("accessbot_time_to_approve_seconds_sum", ())] == pytest.approx(900)
    assert got[("accessbot_time_to_deprovision_seconds_count", ())] == 1
    assert got[("accessbot_time_to_deprovision_seconds_sum", ())] == pytest.approx(90)
    assert got[("accessbot_time_to_deprovision_seconds_bucket", (("le", "60.0"),))] == 0
    assert got[("accessbot_time_to_deprovision_seconds_bucket", (("le", "120.0"),))] == 1

    assert got[("accessbot_active_grants", (("time_bound", "true"),))] == 1
    assert got[("accessbot_active_grants", (("time_bound", "false"),))] == 0
    assert got[("accessbot_orphaned_accounts", (("system", "mem"),))] == 1
    assert got[("accessbot_reconciled_accounts", (("system", "mem"),))] == 2
    submitted = world.request(pending).created_at.timestamp()
    assert got[("accessbot_open_request_oldest_created_timestamp_seconds", ())] == pytest.approx(submitted)
    assert known["leaver_at"] is not None

    values = {value for (name, labels) in got if name.startswith("accessbot_") for _, value in labels}
    assert not [v for v in values if "@" in v or v.isdigit()]  # no people, no ids


def test_the_worker_serves_the_connector_metrics_of_the_calls_it_makes(world, deps):
    worker = Worker(deps, slack=False)  # not started: the test runs the same runner itself
    port = worker.serve_http(0)
    try:
        world.submit("bob@acme.test", "github:member", justification="reviews")
        deps.runner.run_due()
        got = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
    finally:
        worker.stop()
    assert got[("accessbot_connector_calls_total", (("action", "grant"), ("connector", "mem"), ("outcome", "ok")))] == 1
    assert got[("accessbot_time_to_provision_seconds_count", (("connector", "mem"),))] == 1
