"""``accessbot oncall check`` and the on-call part of ``accessbot policy check``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli.oncall import oncall_app
from bot.cli.policy import policy_app
from tests.oncall.fakes.pagerduty import FakePagerDuty

ACME = Path(__file__).resolve().parents[2] / "policies" / "examples" / "acme"
runner = CliRunner()


def test_the_example_passes_offline_and_names_its_absent_credentials_online():
    env = {"ACCESSBOT_CATALOG": str(ACME / "catalog"), "PAGERDUTY_API_TOKEN": ""}
    offline = runner.invoke(oncall_app, ["check", "--file", str(ACME / "on-call.yaml"), "--offline"], env=env)
    assert offline.exit_code == 0, offline.output
    assert "OK: 4 schedules, 2 providers (not asked: --offline)" in offline.stdout
    online = runner.invoke(oncall_app, ["check", "--file", str(ACME / "on-call.yaml")], env=env)
    assert online.exit_code == 1
    assert "providers.pagerduty: environment variable PAGERDUTY_API_TOKEN is empty" in online.stdout
    assert "providers.opsgenie: credential file /run/secrets/opsgenie-api-key does not exist" in online.stdout


def test_a_schedule_the_catalog_names_but_the_file_lacks_fails_both_checks(tmp_path):
    path = tmp_path / "on-call.yaml"
    path.write_text("schedules:\n  it-desk:\n    rotations: [{start: 2026-01-05, people: [a@acme.example]}]\n")
    env = {"ACCESSBOT_CATALOG": str(ACME / "catalog"), "ACCESSBOT_ON_CALL_FILE": str(path)}
    result = runner.invoke(oncall_app, ["check", "--offline"], env=env)
    assert result.exit_code == 1
    assert (f'on_call("sre-primary") in aws-prod:admin: {path} defines no schedule \'sre-primary\' '
            "(defined: it-desk)") in result.stdout
    policy = runner.invoke(policy_app, ["check", str(ACME / "catalog")], env=env)
    assert policy.exit_code == 1 and "defines no schedule 'sre-primary'" in policy.stdout


def test_an_invalid_file_exits_2_and_a_provider_refusing_is_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("providers:\n  pd: {type: pagerduty, token: literal-token}\n")
    assert runner.invoke(oncall_app, ["check", "--file", str(bad)]).exit_code == 2
    with FakePagerDuty() as fake:
        path = tmp_path / "on-call.yaml"
        path.write_text(f"providers:\n  pd: {{type: pagerduty, token: {{env: PD_T}}, base_url: '{fake.url}'}}\n"
                        "schedules:\n  sre-primary: {provider: pd, escalation_policy: PSRE001}\n")
        env = {"ACCESSBOT_CATALOG": str(ACME / "catalog"), "PD_T": "wrong-token-00000000"}
        result = runner.invoke(oncall_app, ["check", "--file", str(path)], env=env)
    assert result.exit_code == 1
    assert "schedule 'sre-primary': PagerDuty refused the credential (401): check the API key" in result.stdout
