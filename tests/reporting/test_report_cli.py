"""`accessbot report` as a shell runs it (typer's CliRunner on a real Deps), every format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.reconcile.run import reconcile
from tests.reporting import history
from tests.support import chromium
from tests.support.deps import close, deps_for


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


@pytest.fixture
def known(world, deps):
    found = history.build(world, deps)
    world.mem.members["gh-members"].add("erin@acme.test")  # an orphan, found by reconcile
    reconcile(deps)
    world.submit("alice@acme.test", "wiki:editor")  # still waiting for Dana
    world.advance(hours=2)
    return found


def invoke(deps, *args):
    return CliRunner().invoke(cli, ["report", *args], obj=deps)


def _day(moment, days=0):
    return (moment + timedelta(days=days)).date().isoformat()


def test_json_has_the_hand_computed_figures(deps, known):
    result = invoke(deps, "--since", _day(known["t0"]), "--until", _day(known["t0"], 1), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["durations"]["time_to_deprovision"]["all"][""] == {"count": 1, "p50": 90.0, "p90": 90.0, "max": 90.0}
    assert doc["durations"]["time_to_approve"]["all"][""]["p50"] == 900.0
    assert doc["orphaned_accounts"] == [{"system": "mem", "open": 1, "accounts": 2, "rate": 0.5, "found": 1,
                                         "fixed": 0}]
    assert doc["open_requests"]["count"] == 1 and doc["open_requests"]["max"] == 7200.0


def test_csv_rows_per_dimension(deps, known):
    result = invoke(deps, "--since", _day(known["t0"]), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by = {(r["metric"], r["dimension"], r["key"]): r for r in rows}
    assert by[("time_to_deprovision_per_system", "connector", "mem")]["max_seconds"] == "90.0"
    assert by[("time_to_provision", "entitlement", history.ADMIN)]["p50_seconds"] == "1200.0"
    assert by[("orphaned_account_rate", "system", "mem")]["value"] == "0.5"


def test_the_default_table_is_readable_text(deps, known):
    result = invoke(deps, "--since", _day(known["t0"]))
    assert result.exit_code == 0, result.output
    assert re.search(r"Time to deprovision\s*│\s*1\s*│\s*1m 30s", result.stdout)
    assert "Open requests: 1" in result.stdout


def test_bad_dates_are_refused_with_a_clear_message(deps):
    result = invoke(deps, "--since", "yesterday")
    assert result.exit_code == 2 and "'yesterday' is not a date" in result.output
    result = invoke(deps, "--since", "2026-12-01", "--until", "2026-11-01")
    assert result.exit_code == 2 and "the period is empty" in result.output
    assert invoke(deps, "--format", "pdf").exit_code == 2
    # Dates at the calendar's ends: the month-either-side arithmetic overflowed into a traceback.
    for dates in (["--since", "0001-01-01"], ["--until", "0001-01-02"], ["--until", "9999-12-30"]):
        result = invoke(deps, *dates)
        assert result.exit_code == 2 and "the period must lie between" in result.output, (dates, result.output)


def test_the_html_page_is_self_contained_and_its_charts_are_drawn(deps, known, tmp_path, db_backend):
    page = tmp_path / "report.html"
    result = invoke(deps, "--since", _day(known["t0"], -14), "--until", _day(known["t0"], 1), "--format", "html",
                    "--output", str(page))
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    dom = chromium.dump_dom(page)
    assert 'data-charts-drawn="4"' in dom
    for chart in ("chart-deprovision", "chart-provision", "chart-orphans", "chart-open-requests"):
        marks = re.search(rf'id="{chart}"[^>]*data-drawn-marks="(\d+)"', dom) or re.search(
            rf'data-drawn-marks="(\d+)"[^>]*id="{chart}"', dom)
        assert marks and int(marks.group(1)) >= 1, chart
    shot = chromium.screenshot(page, tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    keep = Path("/tmp") / f"accessbot-report-{db_backend}.png"
    shutil.copy(shot, keep)  # for a person to look at


def test_the_admin_api_gives_the_same_figures_to_a_bearer_of_the_token(world, known):
    from fastapi.testclient import TestClient

    from bot.http.app import create_app

    deps = deps_for(world, admin_api_token="s3cret-token")
    try:
        client = TestClient(create_app(deps.settings, deps=deps, plugins=[]))
        since = (known["t0"] - timedelta(days=1)).isoformat()
        assert client.get("/api/v1/report", params={"since": since}).status_code == 401
        answer = client.get("/api/v1/report", params={"since": since},
                            headers={"Authorization": "Bearer s3cret-token"})
        assert answer.status_code == 200
        assert answer.json()["durations"]["time_to_deprovision"]["all"][""]["max"] == 90.0
        bad = client.get("/api/v1/report", params={"since": since, "until": "2020-01-01T00:00:00"},
                         headers={"Authorization": "Bearer s3cret-token"})
        assert bad.status_code == 422 and "the period is empty" in bad.text
        garbled = client.get("/api/v1/report", params={"since": "not-a-date"},
                             headers={"Authorization": "Bearer s3cret-token"})
        assert garbled.status_code == 422
        ancient = TestClient(create_app(deps.settings, deps=deps, plugins=[]), raise_server_exceptions=False).get(
            "/api/v1/report", params={"since": "0001-01-01"}, headers={"Authorization": "Bearer s3cret-token"})
        assert ancient.status_code == 422 and "the period must lie between" in ancient.text
    finally:
        close(deps)


def test_report_and_evidence_need_no_connector_credentials(store, tmp_path):
    """The real command on the bundled example, whose connector secrets do not exist here."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ACCESSBOT_", "SLACK_")) and key.upper() != "DATABASE_URL"
           and not key.endswith(("_TOKEN", "_SECRET", "_KEY"))}
    env.update(ACCESSBOT_DATABASE_URL=store.engine.url.render_as_string(hide_password=False),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    for args in (["report", "--format", "csv"], ["evidence", "--since", "2026-11-01", "--out", str(tmp_path / "pack")]):
        result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "is not set" not in result.stderr
    assert result.stderr.startswith("Wrote 10 files")
