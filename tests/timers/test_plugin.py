"""The timers plug into the HTTP app and stop with it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from bot.domain.enums import GrantStatus
from bot.http.app import create_app
from bot.timers.plugin import timers_plugin
from tests.support.waiting import wait_until
from tests.timers.support import count_grants, make_deps, seed_active_grants


def test_the_app_runs_overdue_expiries_at_start_up_and_stops_its_timers_on_shutdown(world):
    seed_active_grants(world, 3, world.clock.now() - timedelta(minutes=1))  # overdue before the app starts
    deps = make_deps(world, "replica-app")
    app = create_app(deps.settings, deps=deps, plugins=[timers_plugin])
    service = app.state.timers
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert wait_until(lambda: count_grants(world.store, GrantStatus.EXPIRED) == 3, timeout=20)
        assert service.wake in deps.after_commit_hooks
    assert service.next_alarm() is None and service.wake not in deps.after_commit_hooks
