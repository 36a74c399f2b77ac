"""``accessbot report`` and ``accessbot evidence``: the lifecycle figures, and a pack for an auditor.

    accessbot report [--since DATE] [--until DATE] [--format table|csv|json|html] [--output FILE]
    accessbot evidence --since DATE [--until DATE] --out DIR|FILE.zip

Dates are UTC: ``--since 2026-11-01`` starts at midnight, ``--until 2026-11-30`` includes that day.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli.report_render import html_page, terminal
from bot.cli.runtime import fail, opened_deps
from bot.reporting import tables
from bot.reporting.figures import OUT_OF_BOUNDS, Period, compute

FORMATS = ("table", "csv", "json", "html")
DEFAULT_DAYS = 30


def parse_day_or_moment(text: str, *, end: bool) -> datetime:
    """A date (its start, or with ``end`` the start of the next day) or an ISO date-time, in UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(0), timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (2026-11-30) or a date-time (2026-11-30T17:00)") from None
    return (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment).astimezone(timezone.utc)


def period_from(since: str | None, until: str | None, now: datetime) -> Period:
    end = parse_day_or_moment(until, end=True) if until else now
    try:
        start = parse_day_or_moment(since, end=False) if since else end - timedelta(days=DEFAULT_DAYS)
        return Period(start, end)
    except OverflowError:  # a default start before year 1
        raise fail(f"{OUT_OF_BOUNDS}.") from None
    except ValueError as error:
        raise fail(f"{error}.") from None


def report(ctx: typer.Context,
           since: Annotated[str | None, typer.Option(help="Start (UTC date or date-time); default 30 days "
                                                          "before --until")] = None,
           until: Annotated[str | None, typer.Option(help="End (UTC date, included, or date-time); default now")] = None,
           fmt: Annotated[str, typer.Option("--format", help="table, csv, json or html")] = "table",
           output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (html: default "
                                                                              "accessbot-report-SINCE-UNTIL.html)")] = None,
           ) -> None:
    """Lifecycle figures: time to approve, provision and deprovision, revoke lateness, orphaned
    accounts, time-bound share, open requests and failed revocations (p50/p90/max)."""
    if ctx.invoked_subcommand is not None:  # `report licenses`: that command runs instead
        return
    if fmt not in FORMATS:
        raise fail(f"Unknown format {fmt!r}: use {', '.join(FORMATS)}.")
    with opened_deps(ctx, calls_connectors=False) as deps:
        period = period_from(since, until, deps.clock.now())
        with deps.store.uow() as s:
            figures = compute(s, period, deps.clock.now())
    if fmt == "table" and output is None:
        terminal.render(figures, Console())
        return
    if fmt == "table":
        console = Console(record=True, width=120, file=io.StringIO())  # recorded, not shown
        terminal.render(figures, console)
        text = console.export_text()
    else:
        text = {"csv": tables.to_csv, "json": tables.to_json, "html": html_page.render}[fmt](figures)
    if fmt == "html" and output is None:
        output = Path(f"accessbot-report-{period.since:%Y%m%d}-{period.until:%Y%m%d}.html")
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}", err=True)


def evidence(ctx: typer.Context,
             since: Annotated[str, typer.Option(help="Start of the period (UTC date or date-time)")],
             out: Annotated[Path, typer.Option("--out", help="A folder, or a file ending in .zip")],
             until: Annotated[str | None, typer.Option(help="End (UTC date, included, or date-time); default the "
                                                           "start of today, so a pack made today can be made again")] = None,
             ) -> None:
    """An auditor's evidence pack for a period: audit log with its chain check, who had what at the
    end, privileged grants with their approvals, leavers with per-system receipts, policy versions."""
    from bot.reporting.evidence import write_pack

    with opened_deps(ctx, calls_connectors=False) as deps:
        now = deps.clock.now()
        today = datetime.combine(now.date(), time(0), timezone.utc)
        period = period_from(since, until or today.isoformat(), now)
        if period.until > now:
            raise fail(f"--until {period.until:%Y-%m-%d %H:%M} is in the future: a pack covers a finished period "
                       "(the same period must always give the same files).")
        if out.exists() and out.suffix != ".zip" and not out.is_dir():
            raise fail(f"{out} is a file: give a folder or a name ending in .zip.")
        with deps.store.uow() as s:
            digests = write_pack(s, deps.catalog, period, out)
    typer.echo(f"Wrote {len(digests)} files to {out} for {period.since:%Y-%m-%d %H:%M} → "
               f"{period.until:%Y-%m-%d %H:%M} UTC", err=True)
