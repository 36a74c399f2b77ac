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
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.ports import check_free, listening_socket
from bot.cli.setup_errors import SetupError, short_message
from bot.logs import set_process
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
WORKER_LISTENER = "the worker's /metrics and /healthz"
WORKER_PORT = "ACCESSBOT_WORKER_METRICS_PORT (0 turns them off)"


class Role(StrEnum):
    BOTH = "both"  # web here, the worker in a child process
    WEB = "web"
    WORKER = "worker"
    ALL = "all"  # one process


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
    if slack:
        problems = slack_problems(settings, socket_mode=socket_mode)
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
    weak = settings.secret_problems()
    if weak:
        raise SetupError("A secret is too short to protect its endpoint:\n  - " + "\n  - ".join(weak))
    worker = None
    if role == Role.BOTH:
        deps, worker = _deps_and_worker(settings, slack=slack, deps=deps)
    try:
        return _build_app(settings, deps or _deps(settings), socket_mode=socket_mode, slack=slack, role=role,
                          worker=worker)
    except BaseException:
        if worker is not None:
            worker.stop()
        raise


def _deps_and_worker(settings: Settings, *, slack: bool, deps=None):
    """Start the worker child as soon as this process has migrated the database, synced the people
    file and found the catalog and connectors valid (a setup error is one short message, from this
    process), before it imports and builds its app: the two start-ups then overlap, instead of the
    worker's (imports, catalog, the catch-up sweep) beginning only once the web front answers
    (issue 17.9: the first revoke came a whole worker start-up after healthy)."""
    deps = deps or _deps(settings)
    worker = WorkerProcess(slack=slack)
    worker.start()
    return deps, worker


def _build_app(settings: Settings, deps, *, socket_mode: bool, slack: bool, role: Role, worker):
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.http.app import create_app
    from bot.http.hooks import hooks_plugin
    from bot.http.scim import scim_plugin
    from bot.slack.endpoint import slack_plugin, socket_mode_plugin
    from bot.timers.plugin import timers_plugin
    from bot.worker import web_deps

    set_process(replica=deps.runner.replica_id)
    plugins = [hooks_plugin, scim_plugin]
    if slack:
        plugins.append(socket_mode_plugin if socket_mode else slack_plugin)
    if role == Role.ALL:
        plugins.append(timers_plugin)  # last: its first sweep may already notify through Slack
    else:
        web_deps(deps)
    if worker is not None:
        plugins.append(lambda _app, _deps: worker.stop)  # the app's shutdown (SIGTERM included) stops it
    try:
        return create_app(settings, deps=deps, plugins=plugins)
    except (BoltError, SlackApiError) as error:
        deps.close()
        reason = error.response.get("error") if isinstance(error, SlackApiError) else str(error)
        raise SetupError(f"Slack refused to start the app: {reason}. Check SLACK_BOT_TOKEN (and SLACK_API_URL "
                         f"{settings.slack_api_url}).") from None
    except OSError as error:  # urllib's URLError included: Slack's Web API could not be reached
        deps.close()
        reason = getattr(error, "reason", None) or error.strerror or error
        raise SetupError(f"Cannot reach Slack at {settings.slack_api_url}: {reason}. Check the network (a proxy "
                         "or firewall in the way?) and SLACK_API_URL.") from None


def _deps(settings: Settings, *, database_ready: bool = False):
    from bot.deps import build_deps

    try:
        return build_deps(settings, database_ready=database_ready)
    except Exception as error:  # configuration, catalog, connectors, database: a message, not a traceback
        message = short_message(error, settings)
        if message is None:
            raise
        raise SetupError(message) from None


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as error:
        message = short_message(error)
        if message is None:
            raise
        typer.echo(f"Cannot start accessbot. {message}", err=True)
        raise typer.Exit(2) from None


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: settings host]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: settings port]", min=1, max=65535)] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Connect to Slack over Socket Mode "
                                              "(needs SLACK_APP_TOKEN, no public URL)")] = False,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Admin API, health and metrics only")] = False,
    role: Annotated[Role, typer.Option(help="both: the web front here and the worker (connector calls, timers, "
                                       "Slack notifications) in a child process; web / worker: one of them "
                                       "(run each on its own machine); all: everything in one process")] = Role.BOTH,
    exit_with_parent: Annotated[int | None, typer.Option(hidden=True,
                                                         help="(worker) stop when this process ends")] = None,
    database_ready: Annotated[bool, typer.Option("--database-ready", hidden=True,
                                                 help="(worker) the parent serve has migrated the database and "
                                                      "synced the people file")] = False,
) -> None:
    """Run accessbot."""
    from bot.provisioning.runner import new_replica_id

    settings = _settings()
    # Named before anything logs, so every line and every lease of this process carries the same id.
    settings.replica_id = settings.replica_id or new_replica_id()
    _configure_logging(settings, role)
    if role == Role.WORKER:
        _run_worker(settings, slack=not no_slack, parent_pid=exit_with_parent, database_ready=database_ready)
        return
    import uvicorn

    problems = [] if no_slack else slack_problems(settings, socket_mode=socket_mode)
    host, port = host or settings.host, port or settings.port
    sock = None
    try:
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
        # Claimed before the database is migrated and the worker started, so a taken port stops nothing.
        sock = listening_socket(host, port, what="the web process", setting="--port or ACCESSBOT_PORT")
        if role == Role.BOTH and settings.worker_metrics_port:
            check_free(settings.host, settings.worker_metrics_port, what=WORKER_LISTENER, setting=WORKER_PORT)
        app = build_server(settings, socket_mode=socket_mode, slack=not no_slack, role=role)
    except SetupError as error:
        if sock is not None:
            sock.close()
        typer.echo(f"Cannot start accessbot. {error}", err=True)
        raise typer.Exit(2) from None
    freeze_startup_heap()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(),
                                           access_log=False, log_config=None))  # None: lines go through our handler
    log.info("listening on http://%s:%s", host, port)
    server.run(sockets=[sock])
    if not server.started:  # the app's start-up failed (uvicorn.run's exit code for it)
        raise typer.Exit(3)


def freeze_startup_heap() -> None:
    """Move everything built at start-up (catalog, compiled CEL, Bolt, SQLAlchemy metadata, imported
    modules) out of the cyclic garbage collector's reach. Otherwise every full collection rescans it
    all while holding the GIL: measured as a 95-142 ms pause that lands on whichever Slack acks are
    in flight (bench/slack_ack.py). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


def _configure_logging(settings: Settings, role: Role) -> None:
    from bot import logs

    logs.configure(settings, role="web" if role == Role.BOTH else role.value)


def _run_worker(settings: Settings, *, slack: bool, parent_pid: int | None, database_ready: bool = False) -> None:
    """The worker role: runs until SIGTERM / SIGINT (or until the parent ``serve`` has gone)."""
    from bot.worker import Worker

    if slack and (problems := [p for p in slack_problems(settings, socket_mode=False)
                               if p.startswith("SLACK_BOT_TOKEN")]):
        typer.echo("Cannot start the accessbot worker. Slack is not configured:\n  - " + "\n  - ".join(problems),
                   err=True)
        raise typer.Exit(2)
    try:
        if parent_pid is None and settings.worker_metrics_port:  # under `serve`, the parent checked it
            check_free(settings.host, settings.worker_metrics_port, what=WORKER_LISTENER, setting=WORKER_PORT)
        deps = _deps(settings, database_ready=database_ready)
    except SetupError as error:
        typer.echo(f"Cannot start the accessbot worker. {error}", err=True)
        raise typer.Exit(2) from None
    set_process(replica=deps.runner.replica_id)
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


class RestartBackoff:
    """How long to wait before restarting a crashed worker: doubling from ``first`` up to ``most``
    while it keeps crashing soon after it starts, and back to ``first`` once a run lasted
    ``healthy_after`` seconds, so a worker that crashes once a day is not made to wait the most."""

    def __init__(self, *, first: float = 1.0, most: float = 60.0, healthy_after: float = 60.0):
        self.first, self.most, self.healthy_after = first, most, healthy_after
        self._next = first

    def after_run(self, ran_for: float) -> float:
        """The delay before the next start, for a run that lasted ``ran_for`` seconds."""
        if ran_for >= self.healthy_after:
            self._next = self.first
        delay, self._next = self._next, min(self.most, self._next * 2)
        return delay


class WorkerProcess:
    """The worker as a child of `accessbot serve`: started with it, restarted if it dies (with
    backoff, reset after a healthy run), stopped with it. ``command`` and ``clock`` (monotonic
    seconds) are for tests."""

    def __init__(self, *, slack: bool, command: list[str] | None = None,
                 clock: Callable[[], float] = time.monotonic, backoff: RestartBackoff | None = None):
        # --database-ready: this serve migrated the database and synced the people file before it
        # spawned the worker (_deps_and_worker); a restarted worker finds them as they were.
        self.command = command or [sys.executable, "-m", "bot", "serve", "--role", "worker", "--exit-with-parent",
                                   str(os.getpid()), "--database-ready"] + ([] if slack else ["--no-slack"])
        self.clock = clock
        self.backoff = backoff or RestartBackoff()
        self.restart_delays: list[float] = []  # what the watcher waited, in order (logs and tests)
        self._process: subprocess.Popen | None = None
        self._started_at = 0.0
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
                self._started_at = self.clock()
                log.info("worker process %s started", self._process.pid)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            code = self._process.wait()
            if self._stopping.is_set():
                return
            ran_for = self.clock() - self._started_at
            delay = self.backoff.after_run(ran_for)
            self.restart_delays.append(delay)
            log.error("the worker process exited (code %s) after %.0f s; restarting it in %.0f s", code, ran_for,
                      delay)
            if self._stopping.wait(delay):
                return
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
