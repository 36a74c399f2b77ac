"""``accessbot review`` driven as a shell would (typer's CliRunner) on a real Deps."""

from __future__ import annotations

import csv
import io
import json

import typer
from typer.testing import CliRunner

from bot.cli.review import review_app
from tests.reviews.conftest import holding

cli = typer.Typer()
cli.add_typer(review_app, name="review")


def _invoke(deps, *args):
    return CliRunner().invoke(cli, ["review", *args], obj=deps)


def test_start_status_remind_close_and_report(world, deps):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "olga@acme.test", "github:member")
    started = _invoke(deps, "start", "github-owners", "--as", "ivan@acme.test")
    assert started.exit_code == 0, started.output
    assert "Started #1 github-owners (open): 0 of 2 reviewed" in started.output
    again = _invoke(deps, "start", "github-owners")
    assert again.exit_code == 1 and "already running" in again.output
    assert _invoke(deps, "start", "nope").exit_code == 2
    assert _invoke(deps, "close", "github-owners", "--as", "alice@acme.test").exit_code == 1  # not IT
    assert "0 of 2 reviewed" in _invoke(deps, "status").output
    assert "Reminded 2 reviewer(s)." in _invoke(deps, "remind", "1").output
    closed = _invoke(deps, "close", "github-owners", "--as", "ivan@acme.test")
    assert closed.exit_code == 0 and "(closed): 2 of 2 reviewed" in closed.output and "revoked 2" in closed.output
    rows = list(csv.DictReader(io.StringIO(_invoke(deps, "report", "github-owners").output)))
    assert [r["decision"] for r in rows] == ["revoked", "revoked"]
    assert {r["decided_how"] for r in rows} == {"deadline"} and all(r["audit_seq"] for r in rows)
    lines = _invoke(deps, "report", "1", "--format", "jsonl").output.splitlines()
    assert [json.loads(line)["item_id"] for line in lines] == [int(r["item_id"]) for r in rows]
    assert _invoke(deps, "report", "1", "--format", "xml").exit_code == 2
    assert _invoke(deps, "status", "42").exit_code == 2
