"""The ``accessbot`` command. Each sub-command lives in its own module."""

from __future__ import annotations

import typer

from bot.cli.audit import audit_app
from bot.cli.connectors import connectors_app
from bot.cli.db import db_app
from bot.cli.licenses import licenses
from bot.cli.demo import demo_app
from bot.cli.manifest import manifest
from bot.cli.offboard import offboard_app
from bot.cli.oncall import oncall_app
from bot.cli.policy import policy_app
from bot.cli.reconcile import reconcile_app
from bot.cli.report import evidence, report
from bot.cli.review import review_app
from bot.cli.serve import serve
from bot.cli.setup_errors import current_settings, short_message

app = typer.Typer(help="accessbot: self-service, time-bound access from Slack.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(audit_app, name="audit")
app.add_typer(connectors_app, name="connectors")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(offboard_app, name="offboard")
app.add_typer(oncall_app, name="oncall")
app.add_typer(policy_app, name="policy")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(review_app, name="review")
app.command()(serve)
app.command()(manifest)
# `accessbot report` is the lifecycle report; `accessbot report licenses` the usage one.
report_app = typer.Typer(help="Reports: lifecycle figures (no sub-command), licenses.")
report_app.callback(invoke_without_command=True)(report)
report_app.command("licenses")(licenses)
app.add_typer(report_app, name="report")
app.command()(evidence)


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
