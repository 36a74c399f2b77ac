"""`accessbot serve`: the bot with Slack over HTTP (Slack calls /slack/events) or over Socket Mode
(the bot dials out; no public URL), plus health, metrics and the admin API over HTTP.

Roles: by default the web front and the worker (connector calls, timers, Slack notifications; see
bot/worker.py) run as two processes, so background work never delays a Slack ack. ``--role web``
and ``--role worker`` run one half each (several machines); ``--role all`` runs everything in one
process.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
from enum import StrEnum
from typing import Annotated

import typer

from bot.settings import Settings

log = logging.getLogger(__name__)

HOW_TO_GET = {
    "SLACK_BOT_TOKEN": "api.slack.com/apps → your app → OAuth & Permissions → Bot User OAuth Token (xoxb-…); "
                       "install the app to the workspace first",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information → App Credentials → Signing Secret",
    "SLACK_APP_TOKEN": "api.slack.com/apps → your app → Basic Information → App-Level Tokens → Generate, with the "
                       "connections:write scope (xapp-…); also turn on Socket Mode",
}
PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}


class Role(StrEnum):
    BOTH = "both"  # web here, the worker in a child process
    WEB = "web"
    WORKER = "worker"
    ALL = "all"  # one process


class SetupError(Exception):
    """Something the operator must fix before the bot can start; the message says what and how."""


def slack_problems(settings: Settings, *, socket_mode: bool) -> list[str]:
    needed = {"SLACK_BOT_TOKEN": settings.slack_bot_token}
    if socket_mode:
        needed["SLACK_APP_TOKEN"] = settings.slack_app_token
    else:
        needed["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    problems = []
    for name, value in needed.items():
        if value is None or not value.get_secret_value().strip():
            problems.append(f"{name} is not set. Get it at {HOW_TO_GET[name]}.")
        elif name in PREFIXES and not value.get_secret_value().startswith(PREFIXES[name]):
            problems.append(f"{name} does not look right (it should start with {PREFIXES[name]}). "
                            f"Get it at {HOW_TO_GET[name]}.")
    return problems


def build_server(settings: Settings, *, socket_mode: bool, slack: bool = True, deps=None, role: Role = Role.ALL):
    """The FastAPI app with Slack wired in; raises SetupError with a readable reason. In the web role
    commits wake the worker process instead of running background work here."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.http.app import create_app
    from bot.http.hooks import hooks_plugin
    from bot.http.scim import scim_plugin
    from bot.slack.endpoint import slack_plugin, socket_mode_plugin
    from bot.timers.plugin import timers_plugin
    from bot.worker import web_deps

    if slack:
        problems = slack_problems(settings, socket_mode=socket_mode)
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
    weak = settings.secret_problems()
    if weak:
        raise SetupError("A secret is too short to protect its endpoint:\n  - " + "\n  - ".join(weak))
    deps = deps or _deps(settings)
    plugins = [hooks_plugin, scim_plugin]
    if slack:
        plugins.append(socket_mode_plugin if socket_mode else slack_plugin)
    if role == Role.ALL:
        plugins.append(timers_plugin)  # last: its first sweep may already notify through Slack
    else:
        web_deps(deps)
    if role == Role.BOTH:
        plugins.append(worker_process_plugin(slack=slack))  # the database is migrated by now
    try:
        return create_app(settings, deps=deps, plugins=plugins)
    except (BoltError, SlackApiError) as error:
        deps.close()
        reason = error.response.get("error") if isinstance(error, SlackApiError) else str(error)
        raise SetupError(f"Slack refused to start the app: {reason}. Check SLACK_BOT_TOKEN (and SLACK_API_URL "
                         f"{settings.slack_api_url}).") from None


def _deps(settings: Settings):
    from bot.deps import build_deps
    from policies import PolicyLoadError

    try:
        return build_deps(settings)
    except PolicyLoadError as error:
        raise SetupError(f"The catalog does not load:\n{error}") from None


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: settings host]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: settings port]")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Connect to Slack over Socket Mode "
                                              "(needs SLACK_APP_TOKEN, no public URL)")] = False,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Admin API, health and metrics only")] = False,
    role: Annotated[Role, typer.Option(help="both: the web front here and the worker (connector calls, timers, "
                                       "Slack notifications) in a child process; web / worker: one of them "
                                       "(run each on its own machine); all: everything in one process")] = Role.BOTH,
    exit_with_parent: Annotated[int | None, typer.Option(hidden=True,
                                                         help="(worker) stop when this process ends")] = None,
) -> None:
    """Run accessbot."""
    settings = Settings()
    _configure_logging(settings)
    if role == Role.WORKER:
        _run_worker(settings, slack=not no_slack, parent_pid=exit_with_parent)
        return
    import uvicorn

    problems = [] if no_slack else slack_problems(settings, socket_mode=socket_mode)
    try:
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
        app = build_server(settings, socket_mode=socket_mode, slack=not no_slack, role=role)
    except SetupError as error:
        typer.echo(f"Cannot start accessbot. {error}", err=True)
        raise typer.Exit(2) from None
    freeze_startup_heap()
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level=settings.log_level.lower(),
                access_log=False)


def freeze_startup_heap() -> None:
    """Move everything built at start-up (catalog, compiled CEL, Bolt, SQLAlchemy metadata, imported
    modules) out of the cyclic garbage collector's reach. Otherwise every full collection rescans it
    all while holding the GIL: measured as a 95-142 ms pause that lands on whichever Slack acks are
    in flight (bench/slack_ack.py). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _run_worker(settings: Settings, *, slack: bool, parent_pid: int | None) -> None:
    """The worker role: runs until SIGTERM / SIGINT (or until the parent ``serve`` has gone)."""
    from bot.worker import Worker

    if slack and (problems := [p for p in slack_problems(settings, socket_mode=False)
                               if p.startswith("SLACK_BOT_TOKEN")]):
        typer.echo("Cannot start the accessbot worker. Slack is not configured:\n  - " + "\n  - ".join(problems),
                   err=True)
        raise typer.Exit(2)
    try:
        deps = _deps(settings)
    except SetupError as error:
        typer.echo(f"Cannot start the accessbot worker. {error}", err=True)
        raise typer.Exit(2) from None
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    worker = Worker(deps, slack=slack).start()
    freeze_startup_heap()
    if settings.worker_metrics_port:
        try:
            port = worker.serve_http(settings.worker_metrics_port, settings.host)
            log.info("worker metrics and health at http://%s:%s/metrics and /healthz", settings.host, port)
        except OSError as error:  # metrics are not worth stopping the revocations for
            log.error("the worker cannot serve metrics on %s:%s (%s); set ACCESSBOT_WORKER_METRICS_PORT",
                      settings.host, settings.worker_metrics_port, error.strerror or error)
    try:
        while not stopping.wait(1.0):
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("the accessbot web process %s has gone; the worker stops", parent_pid)
                break
    finally:
        worker.stop()
        deps.close()


def worker_process_plugin(*, slack: bool):
    """Start the worker child with the app; the app's shutdown (SIGTERM included) stops it."""
    def plugin(_app, _deps):
        worker = WorkerProcess(slack=slack)
        worker.start()
        return worker.stop
    return plugin


class WorkerProcess:
    """The worker as a child of `accessbot serve`: started with it, restarted if it dies (with
    backoff), stopped with it."""

    def __init__(self, *, slack: bool):
        self.command = [sys.executable, "-m", "bot", "serve", "--role", "worker", "--exit-with-parent",
                        str(os.getpid())] + ([] if slack else ["--no-slack"])
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="accessbot-worker-watch", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                # Its own session: a Ctrl-C in the terminal reaches only `serve`, which stops the
                # worker itself (the watcher must not mistake that for a crash and restart it).
                self._process = subprocess.Popen(self.command, start_new_session=True)
                log.info("worker process %s started", self._process.pid)

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            code = self._process.wait()
            if self._stopping.is_set():
                return
            log.error("the worker process exited (code %s); restarting it in %.0f s", code, backoff)
            if self._stopping.wait(backoff):
                return
            backoff = min(60.0, backoff * 2)
            self._spawn()

    def stop(self, timeout: float = 20.0) -> None:
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop within %.0f s; killing it", timeout)
            process.kill()
            process.wait()
