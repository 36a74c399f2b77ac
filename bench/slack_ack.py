"""How fast does the bot ack Slack while the work behind the clicks is slow?

50 concurrent clients send signed Approve clicks (block_actions) to the real /slack/events endpoint for
30 s, while every connector call takes 2 s (MemoryConnector delay_seconds=2). Each click is a real
decision on a pending request until the approver runs out of requests; after that the clicks are
refused by the domain ("already approved"), which is answered through response_url like in Slack.

The bot is `accessbot serve` itself, configured through its environment like in production (the
connector is a `type: memory` instance in a connectors file), so by default it is the web front plus
its worker process. This process runs the fake Slack (tests/support) and orchestrates; one more runs
the 50 clients, so the measurement is not skewed by one GIL.

    python bench/slack_ack.py                      # SQLite in a temporary directory
    python bench/slack_ack.py --postgres           # a throwaway PostgreSQL database on 127.0.0.1:5432
    python bench/slack_ack.py --role all           # everything in one process (the old layout)
    python bench/slack_ack.py --baseline           # an empty endpoint: this machine's own floor
    python bench/slack_ack.py --clients 50 --seconds 30 --pause 0.2 --json

Goal (issue 17): p99 ack < 50 ms and no failed requests (exit status 1 otherwise). Latency is measured by the
clients (send → answer). Figures, with the machine's load: docs/slack.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret-0123456789abcdef"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CATALOG = """
defaults:
  connector: mem
  durations: {choices: [1h, 4h, 1d], default: 4h, maximum: 1d}
  approval: [manager]
  require_justification: false
resources:
  bench:
    name: Bench app
    entitlements:
      user: {target: bench-users}
"""


@dataclass(frozen=True)
class Approver:
    slack_id: str
    dm_channel: str
    request_ids: list[int]
    response_urls: list[str]


# -- the bot process ---------------------------------------------------------------------------------
def bot_command(port: int, role: str | None) -> list[str]:
    """`accessbot serve` exactly as production runs it (by default: web front + worker process)."""
    return [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)] + (
        ["--role", role] if role else [])


def bot_environment(database_url: str, catalog: Path, connectors: Path, api_url: str, bot_token: str,
                    work_threads: int) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SLACK_API_URL": api_url, "SLACK_BOT_TOKEN": bot_token,
            "SLACK_SIGNING_SECRET": SECRET, "ACCESSBOT_CATALOG": str(catalog),
            "ACCESSBOT_CONNECTORS_FILE": str(connectors), "ACCESSBOT_SLACK_WORK_THREADS": str(work_threads),
            "ACCESSBOT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}


def run_baseline(port: int) -> None:
    import uvicorn

    uvicorn.run(baseline_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def baseline_app():
    """The same route shape with nothing behind it: what this machine allows, for comparison."""
    from fastapi import FastAPI, Response

    app = FastAPI()
    app.get("/healthz")(lambda: {"ok": True})
    app.get("/metrics")(lambda: Response(b""))

    @app.post("/slack/events")
    def slack_events() -> Response:
        return Response(b"")

    return app


# -- the client process ------------------------------------------------------------------------------
def run_clients(port: int, approvers: list[Approver], seconds: float, pause: float, out) -> None:
    from tests.support.slack_driver.signing import signed_headers

    results: list[tuple[float, int, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(approvers))
    deadline_box: list[float] = []

    def client(approver: Approver) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start.wait()
        if not deadline_box:
            deadline_box.append(time.monotonic() + seconds)
        clicks = 0
        while time.monotonic() < deadline_box[0]:
            request_id = approver.request_ids[min(clicks, len(approver.request_ids) - 1)]
            body = click_body(approver, request_id, approver.response_urls[clicks % len(approver.response_urls)])
            headers = signed_headers(SECRET, int(time.time()), body, "application/x-www-form-urlencoded")
            sent = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as error:
                status = 0
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                results.append((time.perf_counter() - sent, status, sent))
            clicks += 1
            if pause:
                time.sleep(pause)

    threads = [threading.Thread(target=client, args=(a,)) for a in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"results": results, "errors": errors[:20]})


def click_body(approver: Approver, request_id: int, response_url: str) -> bytes:
    payload = {
        "type": "block_actions", "user": {"id": approver.slack_id, "username": "approver", "team_id": "T0FAKETEAM"},
        "api_app_id": "A0FAKEAPP1", "token": "legacy", "trigger_id": f"{time.time()}.bench",
        "team": {"id": "T0FAKETEAM", "domain": "bench"}, "enterprise": None, "is_enterprise_install": False,
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": approver.dm_channel,
                      "is_ephemeral": False},
        "channel": {"id": approver.dm_channel, "name": "directmessage"}, "response_url": response_url,
        "state": {"values": {}},
        "actions": [{"type": "button", "action_id": "approve", "block_id": "decision", "action_ts": str(time.time()),
                     "value": json.dumps({"v": 1, "request_id": request_id}, separators=(",", ":")),
                     "text": {"type": "plain_text", "text": "Approve"}}],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


# -- setting the scene -------------------------------------------------------------------------------
def seed(database_url: str, catalog: Path, fake, approvers: int, reports: int, clicks_per_client: int):
    from sqlalchemy import update

    from bot.deps import open_store
    from bot.directory import service as directory
    from bot.domain.clock import SystemClock
    from bot.domain.enums import Trigger
    from bot.settings import Settings
    from bot.store.models import OutboxEvent
    from bot.ledger.context import Actor, Ctx
    from bot.requests.submit import submit
    from policies import load_catalog

    store = open_store(Settings(database_url=database_url))
    now = SystemClock().now()
    with store.uow() as s:
        for m in range(approvers):
            manager = f"m{m:03d}@bench.test"
            _person(s, fake, manager, f"U0M{m:07d}", None, now, directory)
            for r in range(reports):
                _person(s, fake, f"r{m:03d}x{r:03d}@bench.test", f"U0R{m:03d}{r:04d}", manager, now, directory)
    cat = load_catalog(catalog, connectors=["mem"])
    scene = []
    for m in range(approvers):
        ids = []
        with store.uow() as s:
            for r in range(reports):
                person = directory.require(s, f"r{m:03d}x{r:03d}@bench.test")
                ctx = Ctx(cat, now, Actor.person(person, Trigger.SLACK))
                ids.append(submit(s, ctx, requester=person, entitlement="bench:user").request.id)
        slack_id = f"U0M{m:07d}"
        dm = fake.dm_channel(slack_id)
        urls = [fake.issue_response_url(slack_id, dm) for _ in range(clicks_per_client)]
        scene.append(Approver(slack_id, dm, ids, urls))
    with store.uow() as s:  # the cards were posted earlier: the bench measures clicks, not the backlog
        s.execute(update(OutboxEvent).values(dispatched_at=now))
    store.dispose()
    return scene


def _person(s, fake, email, slack_id, manager, now, directory) -> None:
    fake.add_user(slack_id, email, email.split("@")[0])
    directory.upsert(s, directory.PersonInput(email=email, name=email.split("@")[0], manager_email=manager,
                                              slack_user_id=slack_id), source="bench", now=now)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell a slow path from a busy machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def family(pid: int) -> list[int]:
    """The process and its children (the worker `accessbot serve` starts)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def is_running(bot) -> bool:
    return bot.poll() is None if isinstance(bot, subprocess.Popen) else bot.is_alive()


def stop(bot) -> None:
    children = family(bot.pid)[1:]
    bot.kill()
    for child in children:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if isinstance(bot, subprocess.Popen):
        bot.wait(10)
    else:
        bot.join(10)


def postgres_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    name = f"accessbot_bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds each client waits between clicks")
    parser.add_argument("--reports", type=int, default=40, help="pending requests per approver")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per connector call")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--role", choices=["both", "web", "worker", "all"], default=None,
                        help="accessbot serve --role (default: serve's own default, web front + worker process)")
    parser.add_argument("--work-threads", type=int, default=8, help="settings.slack_work_threads")
    parser.add_argument("--baseline", action="store_true",
                        help="serve an empty /slack/events instead of the bot: the machine's own latency floor")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from tests.support.fake_slack import FakeSlack
    from tests.support.live_server import free_port, wait_healthy

    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp, FakeSlack.start() as fake:
        catalog = Path(tmp) / "catalog.yaml"
        catalog.write_text(CATALOG)
        database_url, drop = postgres_database() if args.postgres else (f"sqlite:///{tmp}/bench.db", lambda: None)
        try:
            clicks = int(args.seconds / max(args.pause, 0.005)) + 50
            scene = seed(database_url, catalog, fake, args.clients, args.reports, clicks)
            port = free_port()
            connectors = Path(tmp) / "connectors.yaml"
            connectors.write_text(f"instances:\n  mem: {{type: memory, delay_seconds: {args.delay}}}\n")
            if args.baseline:
                bot = spawn.Process(target=run_baseline, args=(port,), daemon=True)
                bot.start()
            else:
                bot = subprocess.Popen(bot_command(port, args.role), cwd=tmp, env=bot_environment(
                    database_url, catalog, connectors, fake.api_url, fake.bot_token, args.work_threads))
            try:
                wait_healthy(f"http://127.0.0.1:{port}", alive=lambda: is_running(bot))
                out = spawn.Queue()
                load = spawn.Process(target=run_clients, args=(port, scene, args.seconds, args.pause, out))
                load.start()
                cpu_before = {pid: process_cpu_seconds(pid) for pid in family(bot.pid)}
                measured = out.get(timeout=args.seconds + 120)
                cpu = {pid: process_cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in family(bot.pid)}
                measured["bot_cpu_s"] = cpu.get(bot.pid, 0.0)
                measured["worker_cpu_s"] = sum(v for pid, v in cpu.items() if pid != bot.pid)
                load.join()
                metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            finally:
                stop(bot)  # the backlog behind the clicks is not measured; stop at once
        finally:
            drop()
    report = summarise(measured, metrics, args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if report["failed"] == 0 and report["p99_ms"] < 50 else 1


def summarise(measured: dict, metrics: str, args) -> dict:
    results = measured["results"]
    latencies = [lat for lat, _, _ in results]
    began = min(sent for _, _, sent in results)
    warm = [lat for lat, _, sent in results if sent - began >= 1.0] or latencies
    grants = {line.split('"')[1]: int(float(line.rsplit(" ", 1)[1])) for line in metrics.splitlines()
              if line.startswith("accessbot_grants{") and not line.endswith(" 0.0")}
    return {
        "database": "postgresql" if args.postgres else "sqlite", "baseline": args.baseline,
        "role": args.role or "default (both)",
        "clients": args.clients, "seconds": args.seconds, "pause_s": args.pause, "connector_delay_s": args.delay,
        "requests": len(latencies), "failed": sum(1 for _, status, _ in results if status != 200),
        "throughput_per_s": round(len(latencies) / args.seconds, 1),
        "p50_ms": _ms(statistics.median(latencies)), "p90_ms": _ms(percentile(latencies, 0.9)),
        "p99_ms": _ms(percentile(latencies, 0.99)), "max_ms": _ms(max(latencies)),
        "p99_after_first_second_ms": _ms(percentile(warm, 0.99)),
        "server_ack_under_100ms": server_share(metrics, 0.1),
        "bot_cpu_ms_per_click": round(measured["bot_cpu_s"] * 1000 / max(1, len(latencies)), 2),
        "worker_cpu_ms_per_click": round(measured["worker_cpu_s"] * 1000 / max(1, len(latencies)), 2),
        "load_average": round(os.getloadavg()[0], 1), "grants": grants, "errors": measured["errors"],
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def server_share(metrics: str, bound: float) -> float | None:
    """Share of requests the route itself answered within ``bound`` seconds (the app's own histogram)."""
    counts = {}
    for line in metrics.splitlines():
        if line.startswith("accessbot_slack_ack_seconds_bucket") and 'kind="block_actions"' in line:
            counts[line.split('le="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
    total = counts.get("+Inf")
    return round(counts.get(repr(bound), 0) / total, 4) if total else None


def render(report: dict) -> str:
    what = ("an empty endpoint (baseline)" if report["baseline"]
            else f"{report['database']}, accessbot serve role {report['role']}")
    return "\n".join([
        f"{report['clients']} clients × {report['seconds']:g} s on {what} (connector {report['connector_delay_s']:g} "
        f"s/call, pause {report['pause_s']:g} s): {report['requests']} clicks, {report['throughput_per_s']}/s, "
        f"failed {report['failed']}",
        f"ack latency p50 {report['p50_ms']} ms, p90 {report['p90_ms']} ms, p99 {report['p99_ms']} ms, "
        f"max {report['max_ms']} ms (p99 after the first second {report['p99_after_first_second_ms']} ms)",
        f"route answered {report['server_ack_under_100ms']} of clicks within 100 ms; CPU per click: web "
        f"{report['bot_cpu_ms_per_click']} ms, worker {report['worker_cpu_ms_per_click']} ms; machine load "
        f"{report['load_average']}",
        f"grants by status at the end: {report['grants']}",
    ])


if __name__ == "__main__":
    sys.exit(main())
