"""The worker: accessbot's background work, in a process of its own.

`accessbot serve` runs the web front (Slack endpoint, admin API, hooks, health, metrics) in one
process and this worker in another: connector calls and their bookkeeping, timers, and the outbox
notifier that renders Block Kit and calls Slack. They would otherwise compete with the Slack acks
for the web process's GIL (measured: bench/slack_ack.py). The web process commits and wakes the
worker (bot/wakeups.py); the database stays the only truth, and the worker's periodic sweeps
(timers, notifier) find anything a lost wake-up left behind.

Several workers may share one database: runner rows, due actions and outbox events are all
claimed with leases (FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from sqlalchemy import text

from bot import wakeups
from bot.deps import Deps
from bot.http.metrics import process_registry, revoke_lateness_histogram
from bot.http.middleware import UNAUTHORIZED, metrics_token
from bot.ledger import registry
from bot.store import claims
from bot.reporting.prometheus import watch_runner
from bot.timers.service import TimerService

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, deps: Deps, *, slack: bool = True):
        self.deps, self.slack = deps, slack
        self.timers: TimerService | None = None
        self.notifier = None
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._metrics_server = None

    def start(self) -> Worker:
        with self.deps.store.uow() as s:  # take the liveness lock, and back what a previous life left claimed
            claims.hold(s, self.deps.store, self.deps.runner.replica_id, self.deps.clock.now())
        if self.slack:
            self.notifier = _slack_notifier(self.deps)
        registry.timers_starting(self.deps)  # e.g. a first usage pass for targets that can tell
        self.timers = TimerService(self.deps)
        self.timers.start()  # after the notifier: its catch-up sweep may already notify
        self._spawn(self._wake_loop, "accessbot-worker-wake")
        self._spawn(lambda: wakeups.listen(self.deps.store.engine, self._wanted.set, self._stopping),
                    "accessbot-worker-listen")
        self._wanted.set()  # connector work left queued by a previous run
        log.info("worker started (replica %s, Slack notifications %s)", self.timers.replica_id,
                 "on" if self.notifier else "off")
        return self

    def serve_http(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` (what the worker measures) and ``/healthz`` (its loops run and the database
        answers: 200, else 503) at http://host:port; returns the bound port (0 picks a free one)."""
        registry = process_registry()
        self.deps.runner.revoke_lateness_observers.append(revoke_lateness_histogram(registry).observe)
        watch_runner(registry, self.deps.runner, self.deps.store)
        metrics = make_wsgi_app(registry)
        token = metrics_token(self.deps.settings)

        def app(environ, start_response):
            if environ.get("PATH_INFO") != "/healthz":
                if token and not hmac.compare_digest(environ.get("HTTP_AUTHORIZATION", "").encode(),
                                                     f"Bearer {token}".encode()):
                    start_response("401 Unauthorized", [("Content-Type", "application/problem+json"),
                                                        ("WWW-Authenticate", 'Bearer realm="accessbot"')])
                    return [UNAUTHORIZED]
                return metrics(environ, start_response)
            report = self.health()
            start_response("200 OK" if report["ok"] else "503 Service Unavailable",
                           [("Content-Type", "application/json")])
            return [json.dumps(report).encode()]

        self._metrics_server = make_server(host, port, app, _ThreadingWSGIServer, handler_class=_QuietHandler)
        threading.Thread(target=self._metrics_server.serve_forever, name="accessbot-worker-http", daemon=True).start()
        return self._metrics_server.server_port

    def health(self) -> dict:
        problems = [f"{thread.name} stopped" for thread in self._threads if not thread.is_alive()]
        try:
            with self.deps.store.uow() as s:
                s.execute(text("SELECT 1"))
        except Exception as error:  # reported, not raised: this is what the health check is for
            problems.append(f"database: {type(error).__name__}")
        return {"ok": not problems, "problems": problems, "database": self.deps.store.dialect}

    def stop(self) -> None:
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
        self._stopping.set()
        self._wanted.set()
        for thread in self._threads:
            thread.join(10)
        if self.timers is not None:
            self.timers.stop()
        if self.notifier is not None:
            from bot.slack.runtime import stop_notifier

            stop_notifier(self.notifier, self.deps)

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _wake_loop(self) -> None:
        """A burst of wake-ups becomes one round: notifier and timers first (cards are redrawn at
        once, not after the connector calls), then the provisioning runner."""
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping.is_set():
                return
            try:
                self.deps.wake()
                self.deps.kick()
            except Exception:  # the worker's outermost boundary: the periodic sweeps cover it
                log.exception("handling a wake-up failed; the periodic sweep will pick the work up")


def _slack_notifier(deps: Deps):
    from bot.slack.bolt import slack_client
    from bot.slack.home import HomePublisher
    from bot.slack.identity import Identity
    from bot.slack.runtime import build_notifier, start_notifier

    client = slack_client(deps.settings)
    identity = Identity(deps.store, deps.clock)
    identity.warm()
    notifier = build_notifier(deps.settings, deps, client, identity, HomePublisher(deps, client))
    start_notifier(notifier, deps)
    return notifier


def web_deps(deps: Deps) -> Deps:
    """Turn deps into the web half of a split deployment: commits wake the worker instead of
    running background work here."""
    deps.runs_background_work = False
    wakeups.announce_commits(deps.store)
    return deps


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up the worker's shutdown


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        """Scrapes every few seconds would drown the worker's log."""
