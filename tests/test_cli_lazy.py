"""`accessbot <command>` imports only that command's modules; `accessbot --help` still lists them all."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from bot.cli.main import COMMANDS, app

PROBE = """
import sys
from bot.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""


def loaded_after(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(done.stdout.split("\n")[-2].split())


def test_help_lists_every_command_with_its_help():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in result.output
    assert "Check and export the tamper-evident audit log." in result.output
    assert "Run accessbot." in result.output


def test_every_command_resolves_to_its_module():
    for name in COMMANDS:
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_a_group_with_one_sub_command_stays_a_group():
    result = CliRunner().invoke(app, ["db", "--help"])
    assert "upgrade" in result.output


def test_report_keeps_its_callback_and_licenses():
    result = CliRunner().invoke(app, ["report", "--help"])
    assert result.exit_code == 0 and "licenses" in result.output


def test_an_unknown_command_is_refused():
    result = CliRunner().invoke(app, ["nosuch"])
    assert result.exit_code == 2


def test_audit_imports_neither_other_commands_nor_the_catalog():
    loaded = loaded_after("audit", "verify", "--help")
    assert "bot.cli.audit" in loaded
    assert not loaded & {"bot.cli.serve", "bot.cli.connectors", "bot.cli.report", "bot.deps", "policies",
                         "celpy", "fastapi", "slack_bolt"}


def test_serve_imports_no_other_command_and_no_web_surface_before_it_runs():
    loaded = loaded_after("serve", "--help")
    assert "bot.cli.serve" in loaded
    assert not loaded & {"bot.cli.audit", "bot.cli.connectors", "fastapi", "slack_bolt", "uvicorn"}


def test_help_imports_every_command():
    loaded = loaded_after("--help")
    assert {module for module, _ in COMMANDS.values()} <= loaded
