"""`accessbot serve` (the real command, in a subprocess) on a broken setup: exit 2 and a short
message that says where and how to fix it, never a traceback. Other commands likewise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import EXAMPLE_DIR
from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    return accessbot(tmp_path, "serve", *args, **settings)


def accessbot(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ACCESSBOT_", "SLACK_")) and key != "DATABASE_URL"}
    env.update({"ACCESSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/accessbot.db",
                "ACCESSBOT_CATALOG": str(EXAMPLE_DIR / "catalog"), "PYTHONPATH": str(ROOT), **settings})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_short_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert len(result.stderr.strip().splitlines()) <= 12, result.stderr
    return result.stderr


def test_a_broken_connectors_file_is_a_short_message_with_the_line_and_exit_2(tmp_path):
    broken = tmp_path / "connectors.yaml"
    broken.write_text("instances:\n  okta:\n    type: okta\n    base_url: https://acme.okta.com\n"
                      "    token: {env: NOT_SET_ANYWHERE}\n")
    stderr = assert_short_refusal(serve(tmp_path, "--no-slack", ACCESSBOT_CONNECTORS_FILE=str(broken)))
    assert stderr.startswith("Cannot start accessbot. The connectors configuration is invalid:")
    # Every problem in one round: the options and the absent credential together.
    assert f"{broken}:2: instance 'okta': option 'org_url': missing required option" in stderr
    assert f"{broken}:4: instance 'okta': option 'base_url': unknown option (did you mean 'org_url'?)" in stderr
    assert f"{broken}:5: instance 'okta': option 'token': environment variable NOT_SET_ANYWHERE is not set" in stderr
    assert "ACCESSBOT_SIMULATE_CONNECTORS=1" in stderr


def test_the_example_without_its_secrets_points_at_the_simulator(tmp_path):
    stderr = assert_short_refusal(serve(tmp_path, "--no-slack"))
    assert "OKTA_API_TOKEN is not set" in stderr
    assert "This is the bundled Acme example" in stderr and "ACCESSBOT_SIMULATE_CONNECTORS=1" in stderr


def test_an_unreachable_database_is_a_short_message_and_exit_2(tmp_path):
    result = serve(tmp_path, "--no-slack", ACCESSBOT_SIMULATE_CONNECTORS="1",
                   ACCESSBOT_DATABASE_URL="postgresql+psycopg://accessbot:hunter2@127.0.0.1:9/accessbot")
    stderr = assert_short_refusal(result)
    assert "Cannot use the database postgresql+psycopg://accessbot:***@127.0.0.1:9/accessbot" in stderr
    assert "hunter2" not in stderr and "ACCESSBOT_DATABASE_URL" in stderr


def test_an_unreachable_slack_is_a_short_message_and_exit_2(tmp_path):
    result = serve(tmp_path, ACCESSBOT_SIMULATE_CONNECTORS="1", SLACK_BOT_TOKEN="xoxb-1-2-3",
                   SLACK_SIGNING_SECRET="0123456789abcdef0123456789abcdef",
                   SLACK_API_URL="http://127.0.0.1:9/api/")
    stderr = assert_short_refusal(result)
    assert "Cannot reach Slack at http://127.0.0.1:9/api/" in stderr


def test_an_invalid_setting_is_a_short_message_and_exit_2(tmp_path):
    stderr = assert_short_refusal(serve(tmp_path, "--no-slack", ACCESSBOT_PORT="eighty"))
    assert "ACCESSBOT_PORT" in stderr


def test_other_commands_report_a_broken_connectors_file_the_same_way(tmp_path):
    broken = tmp_path / "connectors.yaml"
    broken.write_text("instances:\n  vpn:\n    type: webhook\n    base_url: https://vpn.example.com\n")
    stderr = assert_short_refusal(accessbot(tmp_path, "reconcile", ACCESSBOT_CONNECTORS_FILE=str(broken)))
    assert stderr.startswith("The connectors configuration is invalid:")
    assert f"{broken}:4: instance 'vpn': option 'base_url': unknown option" in stderr


def test_an_output_file_that_cannot_be_written_is_a_short_message_and_exit_2(tmp_path):
    target = tmp_path / "no-such-folder" / "report.csv"
    stderr = assert_short_refusal(accessbot(tmp_path, "report", "--format", "csv", "--output", str(target),
                                            ACCESSBOT_SIMULATE_CONNECTORS="1"))
    assert f"Cannot use {target}: No such file or directory." in stderr
    assert not target.exists()


def test_a_port_outside_0_to_65535_is_a_short_message_and_exit_2(tmp_path):
    """It reached socket.bind() and ended in an OverflowError traceback."""
    assert_short_refusal(serve(tmp_path, "--port", "99999", "--no-slack", ACCESSBOT_SIMULATE_CONNECTORS="1"))
    stderr = assert_short_refusal(serve(tmp_path, "--no-slack", ACCESSBOT_SIMULATE_CONNECTORS="1",
                                        ACCESSBOT_PORT="99999"))
    assert "ACCESSBOT_PORT: Input should be less than or equal to 65535" in stderr


@pytest.fixture
def taken_port():
    """A port another process listens on (as a second accessbot would)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_web_port_in_use_is_a_short_message_naming_it_and_exit_2(tmp_path, taken_port):
    stderr = assert_short_refusal(serve(tmp_path, "--no-slack", "--port", str(taken_port),
                                        ACCESSBOT_SIMULATE_CONNECTORS="1", ACCESSBOT_HOST="127.0.0.1"))
    assert stderr.startswith(f"Cannot start accessbot. Port {taken_port} is already in use on 127.0.0.1")
    assert "--port or ACCESSBOT_PORT" in stderr
    assert not (tmp_path / "accessbot.db").exists()  # refused before the database was touched


def test_a_worker_port_in_use_is_a_short_message_naming_it_and_exit_2(tmp_path, taken_port):
    settings = dict(ACCESSBOT_SIMULATE_CONNECTORS="1", ACCESSBOT_HOST="127.0.0.1",
                    ACCESSBOT_WORKER_METRICS_PORT=str(taken_port))
    for role in ("both", "worker"):
        stderr = assert_short_refusal(serve(tmp_path, "--no-slack", "--role", role, "--port", str(free_port()),
                                            **settings))
        assert f"Port {taken_port} is already in use on 127.0.0.1" in stderr, role
        assert "ACCESSBOT_WORKER_METRICS_PORT" in stderr, role
