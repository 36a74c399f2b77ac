"""``connectors check``: every instance checked in parallel, failures reported, exit status set."""

from __future__ import annotations

import textwrap
import threading

import pytest
from typer.testing import CliRunner

from bot.cli.connectors import connectors_app
from bot.store.connector_host import StoredFacts
from connectors.base import Check, PrincipalRef, Subject, Target
from connectors.checks import run_checks
from connectors.errors import AuthError
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from tests.support.scim_server import TOKEN, ScimServer


class BlockingConnector(MemoryConnector):
    """A target whose check hangs until released (a firewall that drops packets)."""

    def __init__(self, name: str, release: threading.Event):
        super().__init__(name)
        self.release = release

    def check(self) -> list[Check]:
        self.release.wait(5)
        return [Check("reachability", True)]


class CrashingConnector(MemoryConnector):
    def check(self) -> list[Check]:
        raise AuthError("token expired")


def test_checks_run_in_parallel_and_a_hung_one_times_out():
    release = threading.Event()
    connectors = ConnectorSet({"slow": BlockingConnector("slow", release), "fine": MemoryConnector("fine"),
                               "broken": CrashingConnector("broken")})
    try:
        rows = run_checks(connectors, timeout=0.2)
    finally:
        release.set()
    by_instance = {(r.instance, r.check): r for r in rows}
    assert by_instance[("slow", "reachability")].ok is False
    assert by_instance[("slow", "reachability")].detail == "no answer within 0.2s"
    assert by_instance[("fine", "reachability")].ok is True
    assert by_instance[("broken", "reachability")].error_kind == "auth"
    assert by_instance[("broken", "reachability")].detail == "token expired"


@pytest.fixture
def scim_target():
    server = ScimServer().start()
    yield server
    server.stop()


def write_config(tmp_path, server_url: str):
    path = tmp_path / "connectors.yaml"
    path.write_text(textwrap.dedent(f"""
        instances:
          good-app:
            type: scim
            base_url: {server_url}
            token: {{env: GOOD_TOKEN}}
          bad-token-app:
            type: scim
            base_url: {server_url}
            token: {{env: BAD_TOKEN}}
          unset-app:
            type: scim
            base_url: {server_url}
            token: {{env: NEVER_SET_TOKEN}}
          it-desk:
            type: manual
            channel: C0123456789
    """))
    return path


def test_cli_check_reports_each_instance_and_fails_on_a_wrong_token(tmp_path, scim_target, monkeypatch):
    monkeypatch.setenv("GOOD_TOKEN", TOKEN)
    monkeypatch.setenv("BAD_TOKEN", "not-the-token")
    monkeypatch.delenv("NEVER_SET_TOKEN", raising=False)
    result = CliRunner().invoke(connectors_app, ["check", "--config", str(write_config(tmp_path, scim_target.url))])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["INSTANCE", "TYPE", "CHECK", "RESULT", "DETAIL"]
    rows = {tuple(line.split()[:4]) for line in lines[1:] if line.strip()}
    assert ("good-app", "scim", "credentials", "ok") in rows
    assert ("bad-token-app", "scim", "credentials", "FAIL") in rows
    assert ("unset-app", "scim", "config", "FAIL") in rows
    assert ("it-desk", "manual", "config", "ok") in rows
    bad_token_line = next(line for line in lines if line.startswith("bad-token-app") and "credentials" in line)
    assert "auth error" in bad_token_line and "refused the token" in bad_token_line
    assert "NEVER_SET_TOKEN is not set" in result.output
    assert "not-the-token" not in result.output
    assert "4 instance(s), 2 failing" in result.output


def test_cli_check_exits_zero_when_all_pass(tmp_path, scim_target, monkeypatch):
    path = tmp_path / "connectors.yaml"
    path.write_text(f"instances:\n  app:\n    type: scim\n    base_url: {scim_target.url}\n    token: {{env: T}}\n")
    monkeypatch.setenv("T", TOKEN)
    result = CliRunner().invoke(connectors_app, ["check", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 instance(s), 0 failing" in result.output


def test_cli_check_shows_what_the_bot_learned_about_a_target(tmp_path, scim_target, monkeypatch, store, clock):
    StoredFacts(store, clock).remember("app", "remove_style", "filter")  # as the running bot would
    path = tmp_path / "connectors.yaml"
    path.write_text(f"instances:\n  app:\n    type: scim\n    base_url: {scim_target.url}\n    token: {{env: T}}\n"
                    "    remove_style: value\n")
    monkeypatch.setenv("T", TOKEN)
    monkeypatch.setenv("DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(connectors_app, ["check", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "remove by filter; learned: the target refuses remove_style value" in result.output

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/none/accessbot.db")  # no database: nothing learned
    result = CliRunner().invoke(connectors_app, ["check", "-c", str(path)])
    assert "remove by value)" in result.output
    assert not (tmp_path / "none").exists()  # a check creates no database


def test_cli_check_exits_2_on_an_invalid_file(tmp_path):
    path = tmp_path / "connectors.yaml"
    path.write_text("instances:\n  app:\n    type: scim\n    token: literal\n")
    result = CliRunner().invoke(connectors_app, ["check", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: instance 'app': option 'token' holds a literal credential" in result.output


def test_memory_connector_still_works_through_a_connector_set():
    connectors = ConnectorSet({"m": MemoryConnector("m")})
    principal = connectors["m"].resolve(Subject("a@example.com"))
    assert connectors["m"].grant(principal, Target("g"), action_id="1").outcome == "applied"
    assert list(connectors["m"].list_members(Target("g"))) == [PrincipalRef("a@example.com", "a@example.com")]


def test_cli_check_finds_the_file_as_serve_does_and_checks_the_catalog_targets_too(tmp_path, monkeypatch):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "apps.yaml").write_text(textwrap.dedent("""\
        resources:
          github:
            connector: github
            entitlements:
              member:
                target: acme
        """))
    (tmp_path / "elsewhere.yaml").write_text("instances:\n  github:\n    type: github\n    org: acme\n"
                                             "    token: {env: GH_TOKEN_NOT_SET}\n    colour: red\n")
    for name in ("ACCESSBOT_CONNECTORS", "ACCESSBOT_CONNECTORS_FILE", "ACCESSBOT_CATALOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GH_TOKEN_NOT_SET", raising=False)
    monkeypatch.setenv("ACCESSBOT_CATALOG", str(tmp_path / "catalog"))
    monkeypatch.setenv("ACCESSBOT_CONNECTORS_FILE", str(tmp_path / "elsewhere.yaml"))
    monkeypatch.chdir(tmp_path)  # no ./connectors.yaml: the setting is what finds it
    result = CliRunner().invoke(connectors_app, ["check"])
    assert result.exit_code == 1, result.output
    # The option error and the absent credential in the same row, in one round.
    assert "elsewhere.yaml:6: instance 'github': option 'colour': unknown option" in result.output
    assert "GH_TOKEN_NOT_SET is not set" in result.output
    assert (f"{tmp_path}/catalog/apps.yaml:6: github:member: target 'acme' for connector 'github': must be "
            "'org'") in result.output


def test_cli_check_without_a_connectors_file_says_where_it_looked(tmp_path, monkeypatch):
    for name in ("ACCESSBOT_CONNECTORS", "ACCESSBOT_CONNECTORS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCESSBOT_CATALOG", str(tmp_path))
    result = CliRunner().invoke(connectors_app, ["check"])
    assert result.exit_code == 2
    assert "No connectors file: set ACCESSBOT_CONNECTORS_FILE" in result.output
