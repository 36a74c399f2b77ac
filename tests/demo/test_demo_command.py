"""`accessbot demo`, run as a user runs it: a separate process, on embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_plays_the_whole_story_and_exits_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCESSBOT_", "SLACK_")) and k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=180)  # a hang guard, not a speed target
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    in_order = [
        "only Bob Martin sees", "was approved automatically by policy",
        "modal “Request access” opens for Alice Nguyen", "DM to Linus Torvalds: new message",
        "@Alice Nguyen (Software Engineer, Engineering) asks for Snowflake analyst for 4 hours", "[Approve] [Deny]",
        "You now have Snowflake analyst until 2026-11-02 13:00 UTC",
        "Your access to Snowflake analyst ends 2026-11-02 13:00 UTC (1 h left).", "[Extend…] [Relinquish now]",
        "Your access to Snowflake analyst has expired.",
        "modal “Offboard” opens for Ivan Petrov", "Offboard @Bob Martin (bob.martin@acme.example) now.",
        "• remove github:member", "[Offboard now]", "#it-ops: new message", "## Offboarding #1: Bob Martin",
        "Done: everything is removed", "✅ remove github:member", "hash chain intact",
    ]
    at = 0
    for line in in_order:  # each one after the one before: the story is told in order
        found = out.find(line, at)
        assert found >= 0, f"{line!r} not found after position {at}:\n{out[at:at + 2000]}"
        at = found
    plan = out[out.find("Offboard @Bob Martin"):out.find("[Offboard now]")]
    github = plan.split("│ github\n", 1)[1].split("│ google\n", 1)[0]
    assert "remove github:member" in github and "suspend account" not in github  # the real connector cannot
    assert "was approved by @Linus Torvalds" in out  # its place among Alice's DMs may vary (two subjects)
    assert "❌" not in out and "Traceback" not in done.stderr


def test_the_demo_runs_on_a_given_database_once_and_then_refuses_it_as_not_empty(store, tmp_path):
    url = store.engine.url.render_as_string(hide_password=False)  # SQLite and PostgreSQL
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCESSBOT_", "SLACK_")) and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(ROOT), ACCESSBOT_DATABASE_URL=url)
    first = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=60)
    assert first.returncode == 0 and "hash chain intact" in first.stdout, first.stderr[-2000:]
    again = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 1 and "needs an empty database" in again.stderr


def test_the_demo_leaves_no_thread_running_in_its_process(monkeypatch):
    for name in [k for k in os.environ if k.startswith(("ACCESSBOT_", "SLACK_")) or k == "DATABASE_URL"]:
        monkeypatch.delenv(name)
    before = set(threading.enumerate())
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output[-2000:]
    assert "hash chain intact" in result.output
    assert [t.name for t in threading.enumerate() if t not in before] == []
