"""`accessbot policy check|explain`, driven through typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.policy import policy_app
from tests.policies.conftest import GITHUB, write_files

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(policy_app, list(args), env=env)


def test_check_the_bundled_example_succeeds():
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("OK: 15 resources, 27 entitlements, 3 bundles, 4 birthright rules, "
                                             "2 separation-of-duties rules, 4 review campaigns")
    assert "people.yaml (25 people, 16 groups)" in result.stdout
    assert "connectors.yaml (9 connectors, their options and targets)" in result.stdout


def test_check_uses_the_catalog_from_the_environment(tmp_path):
    write_files(tmp_path, {"apps.yaml": GITHUB})
    result = run("check", env={"ACCESSBOT_CATALOG": str(tmp_path)})
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 1 resources, 2 entitlements")
    assert "Not cross-checked" in result.stdout


def test_check_prints_every_issue_and_fails(tmp_path):
    write_files(tmp_path, {"apps.yaml": GITHUB.replace("risk: low", "risk: lo").replace("maximum: 1d", "max: 1d")})
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path}/apps.yaml:9: github:member: risk: should be 'low', 'medium', 'high' or 'critical', got 'lo'",
        f"{tmp_path}/apps.yaml:13: github:admin: unknown key 'max' in durations "
        "(did you mean 'maximum'?)",
    ]
    assert result.stderr.strip() == f"FAILED: 2 problems in {tmp_path}"


def test_check_cross_checks_people_and_connectors_found_next_to_the_catalog(tmp_path):
    write_files(tmp_path, {
        "catalog/apps.yaml": GITHUB,
        "people.yaml": "people:\n  - {email: someone@acme.example}\n",
        "connectors.yaml": "instances:\n  okta: {type: okta}\n",
    })
    result = run("check", str(tmp_path / "catalog"))
    assert result.exit_code == 1
    assert "owner owner@acme.example is not in the people directory" in result.stdout
    assert "unknown connector 'github'; configured connectors: okta" in result.stdout
    standalone = run("check", str(tmp_path / "catalog"), "--standalone")
    assert standalone.exit_code == 0, standalone.output
    # A file named on the command line is never skipped unread: that would pass a broken one.
    named = run("check", str(tmp_path / "catalog"), "--standalone", "--people", str(tmp_path / "people.yaml"))
    assert named.exit_code == 2 and "--standalone checks the catalog alone" in named.output


def test_check_reports_a_broken_people_file(tmp_path):
    write_files(tmp_path, {"apps.yaml": GITHUB, "people.yaml": "people:\n  - {email: nope}\n"})
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.strip() == f"{tmp_path}/people.yaml:2: nope: email: 'nope' is not an email address"


def test_explain_an_eligible_request_with_a_sod_conflict():
    result = run("explain", "--person", "bob.martin@acme.example", "--entitlement", "aws-prod:admin",
                 "--holding", "okta:admin", "--duration", "1h", "--justification", "incident", "--ticket", "INC-7")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Bob Martin <bob.martin@acme.example> -> aws-prod:admin (AWS production admin: "
                          "AdministratorAccess)")
    assert "Eligible: yes" in out and '"employed SREs only"' in out
    assert "Durations: 30m, 1h, 4h (default 1h, maximum 4h); permanent not allowed" in out
    assert "this request: 1 hour - fits the policy" in out
    assert "1. Manager (manager), 1 of: Linus Torvalds <linus.torvalds@acme.example>" in out
    assert ("2. Security on duty (group security), 1 of: Sam Rivera <sam.rivera@acme.example>, "
            "Erin Kim <erin.kim@acme.example>") in out
    assert "Separation of duties: CONFLICT (holding: okta:admin)" in out
    assert "identity-and-cloud-admin: okta:admin + aws-prod:admin." in out
    assert ("Auto-approve: no\n  rule 'first responder' \"the first responder of the SRE escalation policy\": "
            "false here (it asks who is on call for sre-primary)") in out


def test_explain_an_ineligible_person_and_a_too_long_request():
    result = run("explain", "--person", "wendy.clark@acme.example", "--entitlement", "github:admin",
                 "--duration", "3d")
    assert result.exit_code == 0
    assert "Eligible: NO" in result.stdout
    assert "does not meet the eligibility rule \"SREs and engineering managers only\"" in result.stdout
    assert "3 days is above the 1-day maximum for GitHub admin" in result.stdout


def test_explain_auto_approval():
    result = run("explain", "--person", "alice.nguyen@acme.example", "--entitlement", "github:member")
    assert "Auto-approve: yes, auto-approve rule 'engineering-member'" in result.stdout
    assert "this request: 90 days" in result.stdout  # the entitlement's default


@pytest.mark.parametrize("args, message", [
    (["--person", "nobody@acme.example", "--entitlement", "github:admin"],
     "error: nobody@acme.example is not in the people file"),
    (["--person", "bob.martin@acme.example", "--entitlement", "github:admn"],
     "error: GitHub has no role 'admn' (roles: member, admin)"),
    (["--person", "bob.martin@acme.example", "--entitlement", "github:admin", "--duration", "soon"],
     "error: --duration: 'soon' is not a duration"),
])
def test_explain_refuses_bad_input_clearly(args, message):
    result = run("explain", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_explain_without_a_people_file(tmp_path):
    write_files(tmp_path, {"apps.yaml": GITHUB})
    result = run("explain", "--catalog", str(tmp_path), "--person", "a@acme.example", "--entitlement",
                 "github:admin")
    assert result.exit_code == 2
    assert "no people file found" in result.stderr


CONNECTORS = """
instances:
  github:
    type: github
    org: acme
    token: {env: GH_TOKEN}
    base_url: https://api.github.com
  vpn:
    type: webhook
    url: http://vpn.example.com/hook
    secret: {env: VPN_SECRET}
"""


def test_check_validates_every_target_and_every_connector_option_in_one_round_without_secrets(tmp_path):
    write_files(tmp_path, {"catalog/apps.yaml": GITHUB.replace("risk: high", "risk: high\n        target_options: "
                                                               "{role: maintainer, colour: red}"),
                           "connectors.yaml": CONNECTORS})
    result = run("check", str(tmp_path / "catalog"), env={"GH_TOKEN": "", "VPN_SECRET": ""})
    assert result.exit_code == 1
    apps, connectors = tmp_path / "catalog" / "apps.yaml", tmp_path / "connectors.yaml"
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{apps}:8: github:member: target 'acme' for connector 'github': must be 'org' (membership "
                        "of the organisation set by the connector's org option) or 'team:<team slug>'")
    assert f"{apps}:13: github:admin: target option 'colour' for connector 'github': unknown target option" in lines[2]
    assert any(line.startswith(f"{connectors}:6: instance 'github': option 'base_url': unknown option "
                               "(did you mean 'api_url'?)") for line in lines)
    assert f"{connectors}:9: instance 'vpn': option 'url': must be an https:// URL" in result.stdout
    # Absent credentials come in the same round, as warnings: this check does not need them.
    assert f"warning: {connectors}:5: instance 'github': option 'token': environment variable GH_TOKEN is empty" \
        in result.stderr
    assert f"warning: {connectors}:10: instance 'vpn': option 'secret'" in result.stderr
    assert "FAILED: " in result.stderr


def test_check_passes_a_right_target_with_absent_credentials(tmp_path):
    write_files(tmp_path, {"catalog/apps.yaml": GITHUB.replace("target: acme", "target: org"),
                           "connectors.yaml": CONNECTORS.replace("    base_url: https://api.github.com\n", "")
                           .replace("http://vpn", "https://vpn")})
    result = run("check", str(tmp_path / "catalog"))
    assert "warning:" in result.stderr and "GH_TOKEN is not set" in result.stderr
    assert "unknown connector" not in result.stdout


def test_check_finds_the_connectors_file_named_by_the_setting(tmp_path, caplog):
    write_files(tmp_path, {"catalog/apps.yaml": GITHUB, "elsewhere/c.yaml": "instances:\n  okta: {type: okta}\n"})
    for name in ("ACCESSBOT_CONNECTORS_FILE", "ACCESSBOT_CONNECTORS"):  # the second is the deprecated name
        caplog.clear()
        result = run("check", str(tmp_path / "catalog"), env={name: str(tmp_path / "elsewhere" / "c.yaml")})
        assert "unknown connector 'github'; configured connectors: okta" in result.stdout, name
        assert ("ACCESSBOT_CONNECTORS is deprecated: use ACCESSBOT_CONNECTORS_FILE" in caplog.text) == \
            (name == "ACCESSBOT_CONNECTORS")


def test_a_connectors_file_that_does_not_parse_is_reported_without_flagging_every_connector(tmp_path):
    write_files(tmp_path, {"catalog/apps.yaml": GITHUB, "connectors.yaml": "instances: [github]\n"})
    result = run("check", str(tmp_path / "catalog"))
    assert result.exit_code == 1
    assert f"{tmp_path}/connectors.yaml:1: 'instances' must be a mapping" in result.stdout
    assert "unknown connector" not in result.stdout


@pytest.mark.parametrize("args", [("check", "{missing}"), ("check", "--people", "{missing}"),
                                  ("check", "--connectors", "{missing}"),
                                  ("explain", "--person", "a@acme.test", "--entitlement", "github:member",
                                   "--catalog", "{missing}")])
def test_a_missing_file_is_a_usage_error(tmp_path, args):
    missing = tmp_path / "nope.yaml"
    result = run(*(arg.format(missing=missing) for arg in args))
    assert result.exit_code == 2, result.output
    assert f"error: no such file: {missing}" in result.stderr
