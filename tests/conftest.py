from __future__ import annotations

import os

import pytest

from bot.domain.clock import ManualClock
from tests.support import databases

os.environ.setdefault("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture(params=databases.selected_backends())
def db_backend(request) -> str:
    return request.param


@pytest.fixture
def store(db_backend, tmp_path, worker_id):
    """A migrated, empty database on each selected backend (SQLite and PostgreSQL by default)."""
    s = databases.open_store(db_backend, tmp_path, worker_id)
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    # pytest-xdist provides this fixture too; this fallback keeps plain `pytest` working.
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def pytest_sessionfinish(session, exitstatus):
    databases.drop_postgres_databases()


@pytest.fixture
def world(store, clock, tmp_path):
    from tests.support.world import make_world

    return make_world(store, clock, tmp_path)
