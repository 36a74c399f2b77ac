"""``accessbot reconcile`` shows each system's progress while it reads: plain lines when stdout is not
a terminal (a log, a pipe), a live table on one; both on stderr, so ``--json`` stays parseable."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from bot.cli import reconcile_progress
from bot.cli.main import app

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(autouse=True)
def strangers(world):
    world.mem.members["wiki-editors"].update(f"s{n}@elsewhere.test" for n in range(5))  # 3 pages of 2


def _invoke(deps, *args):
    return CliRunner().invoke(app, ["reconcile", *args], obj=deps)


def test_without_a_terminal_each_system_gets_a_plain_line(world, deps):
    result = _invoke(deps, "--json")
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("mem:")]
    targets = len(json.loads(result.stdout)["systems"][0]["checked"])
    assert line == (f"mem: done, {targets}/{targets} targets, {world.mem.pages_read} pages, 5 memberships, "
                    "5 orphaned, 0 missing, 0 not listed")
    assert "\x1b[" not in result.stderr
    assert json.loads(result.stdout)["totals"]["orphans"] == 5  # stdout is only the JSON


@pytest.mark.parametrize("how", [("--progress", "live"), ()], ids=["asked", "auto"])
def test_on_a_terminal_a_live_table_shows_each_system(world, deps, how, monkeypatch):
    monkeypatch.setattr(reconcile_progress, "on_terminal", lambda: True)  # CliRunner's stdout is never a tty
    result = _invoke(deps, *how)
    assert result.exit_code == 1, result.output
    shown = ANSI.sub("", result.stderr)
    assert "\x1b[" in result.stderr  # drawn for a terminal
    assert re.search(rf"mem .*(\d+)/\1 .*{world.mem.pages_read} pages, 5 members; 5 orphaned, 0 missing, 0 failed",
                     shown), shown
    assert "5 orphaned, 0 missing, 0 targets not listed" in result.stdout  # the report itself, as before


def test_progress_can_be_turned_off_and_refuses_an_unknown_mode(deps):
    quiet = _invoke(deps, "--progress", "off")
    assert quiet.exit_code == 1 and quiet.stderr == ""
    wrong = _invoke(deps, "--progress", "loud")
    assert wrong.exit_code == 2 and "--progress must be one of auto, live, plain, off" in wrong.stderr
