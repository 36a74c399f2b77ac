"""The ``accessbot`` command. Each sub-command lives in its own module.

The modules are imported only when their command runs (``COMMANDS``): ``accessbot audit verify``
imports the audit command's module, not the connectors', the reports' or the server's (importing them
all cost about 2 s of CPU at every start, the worker child of ``serve`` included). ``accessbot --help``
imports them all to list them with their help.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from bot.cli.setup_errors import current_settings, short_message

# name: (module, attribute), in the order ``--help`` lists them. The attribute is a Typer app (a
# group of sub-commands), a function (one command) or, for "report", a function returning the app.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("bot.cli.serve", "serve"),
    "manifest": ("bot.cli.manifest", "manifest"),
    "evidence": ("bot.cli.report", "evidence"),
    "audit": ("bot.cli.audit", "audit_app"),
    "connectors": ("bot.cli.connectors", "connectors_app"),
    "db": ("bot.cli.db", "db_app"),
    "demo": ("bot.cli.demo", "demo_app"),
    "offboard": ("bot.cli.offboard", "offboard_app"),
    "oncall": ("bot.cli.oncall", "oncall_app"),
    "policy": ("bot.cli.policy", "policy_app"),
    "reconcile": ("bot.cli.reconcile", "reconcile_app"),
    "review": ("bot.cli.review", "review_app"),
    "report": ("bot.cli.main", "report_app"),
}


def report_app() -> typer.Typer:
    """`accessbot report` is the lifecycle report; `accessbot report licenses` the usage one."""
    from bot.cli.licenses import licenses
    from bot.cli.report import report

    app = typer.Typer(help="Reports: lifecycle figures (no sub-command), licenses.")
    app.callback(invoke_without_command=True)(report)
    app.command("licenses")(licenses)
    return app


def _click_command(name: str):
    module, attribute = COMMANDS[name]
    value = getattr(importlib.import_module(module), attribute)
    if attribute == "report_app":  # built on demand (also when this file runs as __main__)
        value = report_app()
    if isinstance(value, typer.Typer):
        command = typer.main.get_group(value)  # a group even with one sub-command (`db upgrade`)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(value)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(TyperGroup):
    """The top-level group: each command is built from its module the first time it is asked for."""

    def list_commands(self, ctx) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _click_command(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(cls=LazyCommands, help="accessbot: self-service, time-bound access from Slack.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    # Without a callback (or a command registered here) typer would not make the app a group.
    pass


def main() -> None:
    try:
        app()
    except Exception as error:  # a configuration error of any command: its message, exit 2
        message = short_message(error, current_settings())
        if message is None:
            raise
        typer.echo(message, err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
