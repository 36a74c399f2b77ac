from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import typer

from bot.settings import Settings

audit_app = typer.Typer(help="Check and export the tamper-evident audit log.", no_args_is_help=True)


def _store():
    from bot.store.db import open_store

    return open_store(Settings().database_url)


@audit_app.command("verify")
def verify() -> None:
    """Walk the hash chain; exit 1 and name the first edited, inserted or deleted event."""
    from bot.audit.verify import verify as run_verify

    store = _store()
    with store.uow() as s:
        result = run_verify(s)
    typer.echo(str(result))
    raise typer.Exit(0 if result.ok else 1)


@audit_app.command("export")
def export(fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
           since: str | None = typer.Option(None, help="ISO date or datetime (UTC), e.g. 2026-11-01"),
           output: Path | None = typer.Option(None, "--output", "-o", help="file (default: stdout)")) -> None:
    """Export events (oldest first) for an auditor or a SIEM."""
    from bot.audit.export import export as run_export

    if fmt not in ("jsonl", "csv"):
        typer.echo(f"Unknown format {fmt!r}: use jsonl or csv.", err=True)
        raise typer.Exit(2)
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            typer.echo(f"--since {since!r} is not an ISO date (e.g. 2026-11-01 or 2026-11-01T09:00).", err=True)
            raise typer.Exit(2) from None
        start = start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start
    store = _store()
    out = output.open("w", newline="") if output else sys.stdout
    try:
        with store.uow() as s:
            count = run_export(s, out, fmt, start)
    finally:
        if output:
            out.close()
    typer.echo(f"Exported {count} events.", err=True)
