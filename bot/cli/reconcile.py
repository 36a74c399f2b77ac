"""``accessbot reconcile``: compare every target with the grant ledger and report the drift.

    accessbot reconcile [--system okta --system github] [--json] [--progress auto|live|plain|off]

It never adds access; it removes orphaned access only on instances configured with
``reconcile: revoke_orphans``. The digest also goes to the IT channel (``reconcile.digest``).
Exit codes: 0 no drift; 1 drift found; 2 some targets could not be listed (so drift may be hidden).

While it reads, each system's progress (targets, pages, memberships, findings) goes to stderr: a
live table when stdout is a terminal, a plain line per system otherwise (``--progress``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli import reconcile_progress
from bot.cli.runtime import fail, opened_deps
from bot.reconcile.run import reconcile, render

reconcile_app = typer.Typer(help="Find access the ledger does not explain, and grants the targets do not show.",
                            invoke_without_command=True)


@reconcile_app.callback()
def run(ctx: typer.Context,
        system: Annotated[list[str] | None, typer.Option("--system", help="Only this connector instance "
                                                                           "(repeatable)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
        progress: Annotated[str, typer.Option("--progress", help="While reading: live (a table), plain (lines), "
                                                                 "off; auto: live on a terminal")] = "auto") -> None:
    if progress not in reconcile_progress.MODES:
        raise fail(f"--progress must be one of {', '.join(reconcile_progress.MODES)}.")
    with opened_deps(ctx) as deps:
        unknown = sorted(set(system or []) - set(deps.connectors))
        if unknown:
            raise fail(f"No connector instance named {', '.join(unknown)} (configured: "
                       f"{', '.join(sorted(deps.connectors)) or 'none'}).")
        names = [n for n in deps.connectors if not system or n in system]
        with reconcile_progress.shown(progress, names) as told:
            result = reconcile(deps, only=system or None, progress=told)
    typer.echo(json.dumps(result.as_dict(), default=str, indent=2) if as_json else render(result))
    raise typer.Exit(2 if result.errors else 1 if result.orphans or result.missing else 0)
