"""What the container image runs, run here without a container (this machine has no Docker): the
Dockerfile's ENTRYPOINT with each compose service's command, in the environment the Dockerfile
sets, against a PostgreSQL database that starts empty: migrate, then the web and the worker, each
answering /healthz, each logging JSON lines that name its role and replica."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, inspect, text

from bot import healthcheck
from bot.store import migrate
from tests.deploy.conftest import CHART, ROOT, compose, dockerfile_env, dockerfile_instruction, image_command, \
    scrubbed_environ
from tests.support.fake_slack import FakeSlack
from tests.support.live_server import free_port, wait_healthy

METRICS_TOKEN = "deploy-test-metrics-token"
STARTUP = 120.0  # a loaded CI machine; wait_healthy returns as soon as the process answers


def test_compose_and_the_chart_run_the_same_three_commands_as_the_image():
    assert dockerfile_instruction("ENTRYPOINT") == ["accessbot"]
    services = compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["web"]["command"] == ["serve", "--role", "web"]
    assert services["worker"]["command"] == ["serve", "--role", "worker"]
    # Migrations once, before both roles start; both roles from one image.
    for role in ("web", "worker"):
        assert services[role]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert services[role]["image"] == services["migrate"]["image"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    templates = {name: (CHART / "templates" / name).read_text()
                 for name in ("migration-job.yaml", "web-deployment.yaml", "worker-deployment.yaml")}
    assert 'args: ["db", "upgrade"]' in templates["migration-job.yaml"]
    assert 'args: ["serve", "--role", "web"]' in templates["web-deployment.yaml"]
    assert 'args: ["serve", "--role", "worker"]' in templates["worker-deployment.yaml"]


def test_the_image_commands_migrate_an_empty_database_and_serve_web_and_worker(empty_postgres_url, tmp_path):
    accessbot = shutil.which("accessbot", path=str(Path(sys.executable).parent))
    assert accessbot, "the accessbot console script is installed with the package"
    web_port, worker_port = free_port(), free_port()
    with FakeSlack.start() as fake, ExitStack() as running:
        env = {**scrubbed_environ(), **dockerfile_env(),
               # What compose.yaml and the Secret provide; loopback only on this machine.
               "DATABASE_URL": empty_postgres_url, "ACCESSBOT_HOST": "127.0.0.1",
               "ACCESSBOT_PORT": str(web_port), "ACCESSBOT_WORKER_METRICS_PORT": str(worker_port),
               "SLACK_API_URL": fake.api_url, "SLACK_BOT_TOKEN": fake.bot_token,
               "SLACK_SIGNING_SECRET": "deploy-test-signing-secret-0123456789", "ACCESSBOT_SIMULATE_CONNECTORS": "true",
               "ACCESSBOT_METRICS_TOKEN": METRICS_TOKEN}

        def run(service: str) -> tuple[subprocess.Popen, Path]:
            log = tmp_path / f"{service}.log"
            command = [accessbot, *image_command(service)[1:]]
            stream = running.enter_context(log.open("wb"))
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=stream, stderr=subprocess.STDOUT)
            running.callback(_stop, process)
            return process, log

        migrating, migrate_log = run("migrate")
        assert migrating.wait(STARTUP) == 0, migrate_log.read_text()
        engine = create_engine(empty_postgres_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
            assert {"grants", "access_requests", "audit_events"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

        web, web_log = run("web")
        worker, worker_log = run("worker")
        wait_healthy(f"http://127.0.0.1:{web_port}", timeout=STARTUP, alive=lambda: web.poll() is None)
        wait_healthy(f"http://127.0.0.1:{worker_port}", timeout=STARTUP, alive=lambda: worker.poll() is None)

        # What the image's HEALTHCHECK asks, for the role each container runs.
        for role, process in (("web", web), ("worker", worker)):
            url = healthcheck.health_url(healthcheck.role_of(image_command(role)), env)
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.status == 200 and json.loads(answer.read())["database"] == "postgresql", role
        # Both processes export their own process metrics, behind the metrics token.
        for port in (web_port, worker_port):
            metrics = f"http://127.0.0.1:{port}/metrics"
            assert httpx.get(metrics, timeout=10).status_code == 401
            answer = httpx.get(metrics, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
            assert answer.status_code == 200 and "process_cpu_seconds_total" in answer.text
        assert healthcheck.health_url("web", env).endswith(f":{web_port}/healthz")
        assert healthcheck.health_url("worker", env).endswith(f":{worker_port}/healthz")

        for process in (web, worker):
            _stop(process)
        for role, log in (("web", web_log), ("worker", worker_log)):
            lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            assert lines, f"the {role} logged nothing"
            assert {line["role"] for line in lines} == {role}
            assert all(line["replica"].startswith("replica-") and line["timestamp"] and line["logger"]
                       for line in lines)


def test_the_chart_and_compose_give_the_containers_what_the_commands_need():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values["secrets"]["keys"]) == {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
    env = dockerfile_env()
    assert env["ACCESSBOT_HOST"] == "0.0.0.0" and env["ACCESSBOT_LOG_FORMAT"] == "json"
    assert env["ACCESSBOT_PORT"] == str(values["web"]["port"])
    assert env["ACCESSBOT_WORKER_METRICS_PORT"] == str(values["worker"]["metricsPort"])


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_migrations_started_at_once_by_several_replicas_apply_once(empty_postgres_url, tmp_path):
    """Without the migration Job (a hand-rolled deployment, or every pod's start-up upgrade racing),
    replicas upgrading the same empty database at once all succeed: they take turns."""
    env = {**scrubbed_environ(), "DATABASE_URL": empty_postgres_url}
    accessbot = shutil.which("accessbot", path=str(Path(sys.executable).parent))
    runs = [subprocess.Popen([accessbot, "db", "upgrade"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT) for _ in range(3)]
    outputs = [run.communicate(timeout=STARTUP)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    engine = create_engine(empty_postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
    finally:
        engine.dispose()


def test_the_build_context_lets_through_everything_the_dockerfile_copies():
    """.dockerignore excludes everything, then lets through a list: a COPY of something not on it
    would fail the build on a machine with Docker, so catch it here."""
    allowed = [line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    sources = [word for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
               and "--from" not in line for word in line.split()[1:-1]]
    assert sources, "the Dockerfile copies something"
    for source in sources:
        assert (ROOT / source).exists(), source
        assert any(source.rstrip("/") == a or source.startswith(a + "/") for a in allowed), source


def test_the_healthcheck_finds_the_role_of_the_accessbot_process_even_under_an_init(tmp_path):
    def process(pid: int, *words: str) -> None:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes("\0".join(words).encode() + b"\0")

    process(1, "/sbin/docker-init", "--", "accessbot", "serve", "--role", "worker")
    assert healthcheck.role_of(healthcheck.accessbot_command_line(tmp_path)) == "worker"
    (tmp_path / "1" / "cmdline").write_bytes(b"/sbin/docker-init\0--\0")
    process(7, "/usr/local/bin/python", "/usr/local/bin/accessbot", *image_command("worker")[1:])
    assert healthcheck.role_of(healthcheck.accessbot_command_line(tmp_path)) == "worker"
    (tmp_path / "7" / "cmdline").write_bytes(b"/usr/local/bin/python\0/usr/local/bin/accessbot\0serve\0")
    assert healthcheck.role_of(healthcheck.accessbot_command_line(tmp_path)) == "both"  # web port: serve's default
