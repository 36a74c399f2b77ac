"""``accessbot oncall check``: the on-call file, its credentials, its providers, and the catalog's use of it.

Exits 2 when the file is invalid or absent, 1 when a credential is missing, a provider does not answer,
or the catalog names a schedule the file does not define."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.oncall.checks import catalog_problems, live_problems
from bot.oncall.config import OnCallConfigError, load
from bot.settings import Settings, credentials_environment
from policies import PolicyLoadError, load_catalog

oncall_app = typer.Typer(help="On-call sources for auto-approve rules: check the file and the providers.",
                         no_args_is_help=True)


@oncall_app.callback()
def oncall_group() -> None:
    """On-call sources for auto-approve rules: check the file and the providers."""


@oncall_app.command("check")
def check(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="On-call YAML [default: $ACCESSBOT_ON_CALL_FILE]",
                                              show_default=False)] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Do not ask the providers (no credentials needed)")]
    = False,
) -> None:
    """Check the on-call file against the catalog, then ask every schedule once; exit non-zero on any problem."""
    settings = Settings()
    path = file or settings.on_call_file
    if path is None:
        typer.echo("No on-call file: set ACCESSBOT_ON_CALL_FILE or pass --file.", err=True)
        raise typer.Exit(2)
    try:
        spec = load(path)
        catalog = load_catalog(settings.catalog)
    except (OnCallConfigError, PolicyLoadError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    problems = catalog_problems(spec, catalog, str(path))
    if not offline:
        try:
            problems += live_problems(spec, credentials_environment())
        except OnCallConfigError as exc:
            problems += exc.problems
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"OK: {len(spec.schedules)} schedules, {len(spec.providers)} providers"
               + (" (not asked: --offline)" if offline else ", every schedule answered"))
