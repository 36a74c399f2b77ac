"""`accessbot serve` (web front + worker child) starts the worker child before it builds the web
app, so the worker's start-up (imports, catalog, the catch-up sweep of a backlog) overlaps the web
front's instead of following it (issue 17.9: the first revoke came a whole worker start-up after
healthy). A failed app build stops the child it started."""

from __future__ import annotations

import pytest

import bot.http.app
from bot.cli import serve
from bot.cli.serve import Role, SetupError, build_server
from bot.deps import Deps
from bot.settings import Settings
from connectors.registry import ConnectorSet


class FakeWorkerProcess:
    instances: list[FakeWorkerProcess] = []

    def __init__(self, *, slack: bool):
        self.started = self.stopped = False
        FakeWorkerProcess.instances.append(self)

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_worker(monkeypatch):
    FakeWorkerProcess.instances = []
    monkeypatch.setattr(serve, "WorkerProcess", FakeWorkerProcess)
    return FakeWorkerProcess.instances


def test_the_worker_child_is_running_before_the_web_app_is_built(store, clock, monkeypatch, fake_worker):
    seen = []
    real = bot.http.app.create_app

    def create_app(settings, **kwargs):
        seen.append([worker.started for worker in fake_worker])
        return real(settings, **kwargs)

    monkeypatch.setattr(bot.http.app, "create_app", create_app)
    settings = Settings(database_url="sqlite://")
    build_server(settings, socket_mode=False, slack=False, deps=Deps(settings, store, None, ConnectorSet(), clock),
                 role=Role.BOTH)
    assert seen == [[True]]
    assert not fake_worker[0].stopped


def test_a_web_app_that_cannot_be_built_stops_the_worker_child_it_started(store, clock, monkeypatch, fake_worker):
    def refuse(*_args, **_kwargs):
        raise SetupError("no app today")

    monkeypatch.setattr(bot.http.app, "create_app", refuse)
    settings = Settings(database_url="sqlite://")
    with pytest.raises(SetupError):
        build_server(settings, socket_mode=False, slack=False, deps=Deps(settings, store, None, ConnectorSet(), clock),
                     role=Role.BOTH)
    assert fake_worker[0].started and fake_worker[0].stopped
