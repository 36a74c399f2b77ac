"""``accessbot report licenses``: seats, usage and savings (bot.usage.report).

    accessbot report licenses [--since DATE] [--until DATE] [--format table|csv|json] [--output FILE]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.report import period_from
from bot.cli.runtime import fail, opened_deps
from bot.usage import report as licenses_report
from bot.usage.timers import stale_after

WRITERS = {"table": licenses_report.to_text, "text": licenses_report.to_text, "csv": licenses_report.to_csv,
           "json": licenses_report.to_json}


def licenses(ctx: typer.Context,
             since: Annotated[str | None, typer.Option(help="Start of the reclaimed period (UTC date or "
                                                            "date-time); default 30 days before --until")] = None,
             until: Annotated[str | None, typer.Option(help="End (UTC date, included, or date-time); "
                                                            "default now")] = None,
             fmt: Annotated[str, typer.Option("--format", help="table (text), csv or json")] = "table",
             output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here")] = None) -> None:
    """Seats by entitlement (active, inactive, unknown), potential monthly savings from known usage,
    and what was reclaimed and saved per month."""
    if fmt not in WRITERS:
        raise fail(f"Unknown format {fmt!r}: use table, csv or json.")
    with opened_deps(ctx) as deps:
        now = deps.clock.now()
        period = period_from(since, until, now)
        with deps.store.uow() as s:
            text = WRITERS[fmt](licenses_report.build(s, deps.catalog, now, period.since, period.until,
                                                               stale_after=stale_after(deps.settings)))
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}", err=True)
