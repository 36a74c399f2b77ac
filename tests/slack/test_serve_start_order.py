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


def test_the_worker_child_is_told_that_serve_has_prepared_the_database():
    assert "--database-ready" in serve.WorkerProcess(slack=False).command


@pytest.mark.parametrize("ready", [False, True])
def test_a_worker_whose_database_is_ready_neither_migrates_nor_syncs_the_people_file(tmp_path, monkeypatch, ready):
    """`serve` migrated the database and synced the people file before spawning the worker child
    (issue 17.9: both were part of the child's start-up, before its first revoke)."""
    import bot.directory.people_file
    import bot.loading
    import bot.store.migrate
    from bot.deps import build_deps

    done = []
    monkeypatch.setattr(bot.store.migrate, "upgrade", lambda engine: done.append("migrated"))
    monkeypatch.setattr(bot.directory.people_file, "sync_people_file", lambda *a, **k: done.append("synced"))
    monkeypatch.setattr(bot.loading, "load_connectors_for", lambda *a: ConnectorSet())
    monkeypatch.setattr(bot.loading, "load_catalog_for", lambda *a, **k: None)
    people = tmp_path / "people.yaml"
    people.write_text("people: []\n")
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.db", people_file=people)
    deps = build_deps(settings, database_ready=ready)
    try:
        assert done == ([] if ready else ["migrated", "synced"])
    finally:
        deps.close()
