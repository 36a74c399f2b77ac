"""The offboard and reconcile commands, driven as a shell would (typer's CliRunner), on a real Deps."""

from __future__ import annotations

import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.offboard import offboard_app
from bot.cli.reconcile import reconcile_app
from bot.store.models import Offboarding, ProvisioningAction
from connectors.errors import AuthError
from tests.offboarding.conftest import holding

cli = typer.Typer()
cli.add_typer(offboard_app, name="offboard")
cli.add_typer(reconcile_app, name="reconcile")


def _invoke(deps, *args):
    return CliRunner().invoke(cli, list(args), obj=deps)


def _offboardings(deps) -> int:
    with deps.store.uow() as s:
        return s.scalar(select(func.count()).select_from(Offboarding))


def test_run_prints_the_report_and_exits_zero(world, deps):
    holding(world, "alice@acme.test", "github:member", "wiki:editor")
    result = _invoke(deps, "offboard", "run", "alice@acme.test", "--reason", "left", "--as", "ivan@acme.test")
    assert result.exit_code == 0, result.output
    assert "Offboarding #1 of alice@acme.test: done" in result.output
    assert "✅ gh" in result.output and "✅ remove github:member: done" in result.output
    assert "requested by ivan@acme.test" in result.output


def test_only_it_admins_may_act_as_themselves(world, deps):
    result = _invoke(deps, "offboard", "run", "alice@acme.test", "--as", "bob@acme.test")
    assert result.exit_code == 1 and "Only IT admins can offboard people" in result.output
    assert _offboardings(deps) == 0


def test_dry_run_changes_nothing(world, deps):
    holding(world, "alice@acme.test", "okta:apps")
    result = _invoke(deps, "offboard", "run", "alice@acme.test", "--dry-run")
    assert result.exit_code == 0
    assert "Would offboard alice@acme.test (active)" in result.output
    assert "remove alice@acme.test from okta-apps" in result.output
    assert _offboardings(deps) == 0 and world.connectors["okta"].suspended == set()


def test_a_failure_exits_one_and_report_shows_it_later(world, deps):
    holding(world, "alice@acme.test", "okta:apps")
    world.connectors["okta"].fail_next(AuthError("token revoked"), AuthError("token revoked"),
                                       AuthError("token revoked"))
    result = _invoke(deps, "offboard", "run", "alice@acme.test")
    assert result.exit_code == 1 and "❌ okta" in result.output
    report = _invoke(deps, "offboard", "report", "alice@acme.test")
    assert report.exit_code == 1 and "auth: token revoked" in report.output and "partial" in report.output
    assert _invoke(deps, "offboard", "report", "bob@acme.test").exit_code == 1  # never offboarded


def test_at_schedules_and_cancel_withdraws(world, deps):
    result = _invoke(deps, "offboard", "run", "alice@acme.test", "--at", "2026-11-30T17:00")
    assert result.exit_code == 0, result.output
    assert "scheduled for 2026-11-30 17:00 UTC" in result.output  # the catalog's zone is UTC here
    assert _invoke(deps, "offboard", "run", "alice@acme.test", "--at", "tomorrow").exit_code == 2
    cancelled = _invoke(deps, "offboard", "cancel", "alice@acme.test")
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    assert _invoke(deps, "offboard", "cancel", "alice@acme.test").exit_code == 1



def test_bad_input_exits_two_with_a_message_and_changes_nothing(world, deps):
    """As the module documents: an unknown person or an unreadable --at is exit 2 (a dry run checks --at
    too, not silently ignores it), and an id no database row can have is a message, not a traceback."""
    unknown = _invoke(deps, "offboard", "run", "nobody@acme.test")
    assert unknown.exit_code == 2 and "nobody@acme.test is not in the directory" in unknown.output
    dry = _invoke(deps, "offboard", "run", "alice@acme.test", "--at", "garbage", "--dry-run")
    assert dry.exit_code == 2 and "'garbage'" in dry.output and "Would offboard" not in dry.output
    huge = str(2**80)
    confirmed = _invoke(deps, "offboard", "confirm", huge, "--as", "ivan@acme.test")
    assert confirmed.exit_code == 2 and "less than or equal to" in confirmed.output
    cancelled = _invoke(deps, "offboard", "cancel", huge)
    assert cancelled.exit_code == 1 and f"No offboarding #{huge}" in cancelled.output
    assert not isinstance(cancelled.exception, OverflowError)
    assert _offboardings(deps) == 0

def test_bulk_offboards_everyone_with_a_summary(world, deps, tmp_path):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "bob@acme.test", "wiki:editor")
    leavers = tmp_path / "leavers.csv"
    leavers.write_text("email,at,reason\nalice@acme.test,,left\nBob@acme.test,2026-10-01,backdated\n"
                       "olga@acme.test,2026-12-31,end of contract\n")
    result = _invoke(deps, "offboard", "--csv", str(leavers))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("alice@acme.test") and " done " in line for line in lines)
    assert any(line.startswith("bob@acme.test") and " done " in line for line in lines)
    assert any(line.startswith("olga@acme.test") and "scheduled" in line for line in lines)
    assert "2 offboarded (0 with failures), 1 scheduled." in result.output
    assert not world.connectors["gh"].members["gh-members"]


def test_a_bad_csv_reports_every_line_and_changes_nothing(world, deps, tmp_path):
    leavers = tmp_path / "leavers.csv"
    leavers.write_text("email,at\nalice@acme.test,\nnobody@acme.test,\n,\nbob@acme.test,next week\n"
                       "ALICE@acme.test,\n")
    result = _invoke(deps, "offboard", "bulk", "--csv", str(leavers))
    assert result.exit_code == 2
    assert f"{leavers}:3: nobody@acme.test is not in the directory" in result.output
    assert f"{leavers}:4: the email is empty" in result.output
    assert f"{leavers}:5: 'next week' is not a date" in result.output
    assert f"{leavers}:6: alice@acme.test is already on line 2" in result.output
    assert "Nothing was changed" in result.output
    assert _offboardings(deps) == 0
    with deps.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(ProvisioningAction).where(
            ProvisioningAction.offboarding_id.is_not(None))) == 0
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("mail,when\nalice@acme.test,\n")
    assert "no 'email' column" in _invoke(deps, "offboard", "--csv", str(wrong)).output


def test_reconcile_exits_one_on_drift_and_names_unknown_systems(world, deps):
    assert _invoke(deps, "reconcile").exit_code == 0
    world.connectors["gh"].members["gh-members"].add("erin@acme.test")
    drift = _invoke(deps, "reconcile", "--system", "gh")
    assert drift.exit_code == 1 and "erin@acme.test [unmanaged; erin@acme.test]" in drift.output
    as_json = _invoke(deps, "reconcile", "--json")
    assert '"orphans": 1' in as_json.output
    unknown = _invoke(deps, "reconcile", "--system", "nope")
    assert unknown.exit_code == 2 and "No connector instance named nope" in unknown.output
