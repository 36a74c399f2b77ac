"""The production layout: the web front and the worker with separate Deps (and separate database
engines) on the same database, on both backends. The web process only acks and commits; the worker
is woken (NOTIFY on PostgreSQL, data_version on SQLite), calls the connector and tells Slack.

The worker's periodic sweep is set to an hour, so everything seen here came through a wake-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.deps import Deps
from bot.domain.enums import ActionStatus, GrantStatus, RequestStatus
from bot.http.app import create_app
from bot.settings import Settings
from bot.slack.endpoint import slack_plugin
from bot.store.db import Store, create_engine_for
from bot.store.models import ProvisioningAction
from bot.worker import Worker, web_deps
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from tests.slack.harness import ALICE, DANA, OLGA, SECRET, SlackWorld, seed_slack_users
from tests.support.fake_slack import FakeSlack
from tests.support.live_server import free_port, serve_asgi, wait_healthy
from tests.support.slack_sim import SlackSim
from tests.support.world import make_world

WAIT = 30.0  # generous: a loaded CI machine


@dataclass
class Split:
    web: SlackWorld
    worker_deps: Deps
    worker_mem: MemoryConnector
    settings: Settings
    workers: list[Worker]

    def start_worker(self) -> Worker:
        self.workers.append(Worker(self.worker_deps, slack=True).start())
        return self.workers[-1]


@contextmanager
def split_bot(store, clock, tmp_path, *, worker_running: bool = True) -> Iterator[Split]:
    with FakeSlack.start() as fake:
        seed_slack_users(fake)
        world = make_world(store, clock, tmp_path)
        settings = Settings(slack_api_url=fake.api_url, slack_bot_token=fake.bot_token, slack_signing_secret=SECRET,
                            database_url="sqlite://", sweep_interval_seconds=3600)
        web = web_deps(Deps(settings, store, world.catalog, world.connectors, clock))
        worker_store = Store(create_engine_for(store.engine.url.render_as_string(hide_password=False)))
        worker_mem = MemoryConnector("mem")
        worker_deps = Deps(settings, worker_store, world.catalog, ConnectorSet({"mem": worker_mem}), clock)
        app = create_app(settings, deps=web, plugins=[slack_plugin])
        workers: list[Worker] = []
        try:
            with serve_asgi(app) as url:
                split = Split(SlackWorld(world, fake, SlackSim(url, fake, SECRET), web, app), worker_deps,
                              worker_mem, settings, workers)
                if worker_running:
                    split.start_worker()
                yield split
        finally:
            for worker in workers:
                worker.stop()
            worker_deps.executor.shutdown(wait=True)
            worker_store.dispose()
        fake.assert_no_unexpected_errors()


def test_the_web_process_acks_and_the_worker_provisions_and_notifies(store, clock, tmp_path):
    with split_bot(store, clock, tmp_path) as split:
        bot = split.web
        assert bot.runtime.notifier is None  # nothing renders or calls connectors in the web process
        form = bot.open_form(ALICE, "github admin")
        bot.sim.submit(ALICE, form.id, {"justification": "release 4.2 needs a branch rule change"})
        request_id = bot.last_request_id()

        card = bot.fake.wait_until(lambda: [m for m in bot.fake.dm(DANA) if f"#{request_id}:" in m.visible_text],
                                   timeout=WAIT, what="the worker posts the card to the manager")[-1]
        assert bot.sim.click(DANA, on=card.ref, action_id="approve").status == 200
        owner_card = bot.fake.wait_until(
            lambda: [m for m in bot.fake.dm(OLGA) if f"#{request_id}:" in m.visible_text],
            timeout=WAIT, what="the next step's card")[-1]
        assert bot.sim.click(OLGA, on=owner_card.ref, action_id="approve").status == 200

        bot.fake.wait_until(lambda: [t for t in (m.visible_text for m in bot.fake.dm(ALICE))
                                     if "You now have" in t and "GitHub admin" in t],
                            timeout=WAIT, what="the requester is told by the worker")
        assert bot.request(request_id).status == RequestStatus.APPROVED
        assert [g.status for g in bot.grants_of("alice@acme.test")] == [GrantStatus.ACTIVE]
        assert ("grant", "alice@acme.test", "gh-admins") in split.worker_mem.calls
        assert bot.world.mem.calls == []  # the web process's connectors were never called


def test_work_committed_while_no_worker_ran_is_done_when_it_starts(store, clock, tmp_path):
    with split_bot(store, clock, tmp_path, worker_running=False) as split:
        bot = split.web
        form = bot.open_form(ALICE, "github member")  # no approval: provisioning is queued at once
        assert "approved automatically" in bot.sim.submit(ALICE, form.id, {}).top.visible_text
        with bot.store.uow() as s:  # committed, and left for the worker: the web process runs none of it
            assert s.scalars(select(ProvisioningAction.status)).all() == [ActionStatus.QUEUED]
        assert bot.undispatched() > 0 and split.worker_mem.calls == [] and bot.world.mem.calls == []

        split.start_worker()
        bot.fake.wait_until(lambda: [t for t in (m.visible_text for m in bot.fake.dm(ALICE)) if "You now have" in t],
                            timeout=WAIT, what="the worker catches up at start")
        assert ("grant", "alice@acme.test", "gh-members") in split.worker_mem.calls


def test_accessbot_serve_runs_the_web_front_and_a_worker_process(store, clock, tmp_path):
    """`accessbot serve` as production runs it: two real processes, configured by the environment."""
    with FakeSlack.start() as fake:
        seed_slack_users(fake)
        world = make_world(store, clock, tmp_path)
        connectors = tmp_path / "connectors.yaml"
        connectors.write_text("instances:\n  mem: {type: memory}\n")
        port, metrics_port = free_port(), free_port()
        env = {**os.environ, "DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
               "SLACK_API_URL": fake.api_url, "SLACK_BOT_TOKEN": fake.bot_token, "SLACK_SIGNING_SECRET": SECRET,
               "ACCESSBOT_CATALOG": str(tmp_path / "catalog.yaml"), "ACCESSBOT_CONNECTORS_FILE": str(connectors),
               "ACCESSBOT_SWEEP_INTERVAL_SECONDS": "3600", "ACCESSBOT_LOG_LEVEL": "WARNING",
               "ACCESSBOT_WORKER_METRICS_PORT": str(metrics_port)}
        serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=tmp_path, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, timeout=120.0, alive=lambda: serve.poll() is None)
            workers = children_of(serve.pid)
            assert len(workers) == 1
            bot = SlackWorld(world, fake, SlackSim(url, fake, SECRET), None, None)
            form = bot.open_form(ALICE, "github member")
            assert "approved automatically" in bot.sim.submit(ALICE, form.id, {}).top.visible_text
            fake.wait_until(lambda: [t for t in (m.visible_text for m in fake.dm(ALICE)) if "You now have" in t],
                            timeout=WAIT, what="the worker process provisions and tells the requester")
            assert [g.status for g in world.grants_of("alice@acme.test")] == [GrantStatus.ACTIVE]
            worker_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=WAIT).text
            assert "accessbot_revoke_lateness_seconds_count 0.0" in worker_metrics  # the worker's own registry
        finally:
            serve.terminate()
            assert serve.wait(WAIT) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once shut down
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # the worker stopped with it



def children_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
