"""``accessbot offboard``: remove every access of people who leave, now, later, or in bulk.

    accessbot offboard run alice@acme.example [--dry-run] [--at 2026-11-30T17:00] [--reason "..."]
    accessbot offboard report alice@acme.example
    accessbot offboard cancel alice@acme.example          (a scheduled offboarding)
    accessbot offboard --csv leavers.csv [--dry-run]      (also: accessbot offboard bulk --csv ...)

Exit codes: 0 everything done (or scheduled, or previewed); 1 something failed or was refused;
2 bad input (unknown person, unreadable CSV...), in which case nothing changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.leavers_csv import Leaver, read_leavers
from bot.cli.runtime import actor_for, fail, opened_deps, parse_moment, refuse
from bot.directory import service as directory
from bot.domain.errors import DomainError
from bot.offboarding import engine, plan, prepare
from bot.offboarding import report as reports

offboard_app = typer.Typer(help="Offboard people: every grant, account and session, on every system.",
                           invoke_without_command=True)

Email = Annotated[str, typer.Argument(help="The leaver's email")]
AsOption = Annotated[str | None, typer.Option("--as", help="Your email (an IT admin), for the audit log")]
PerSystem = Annotated[int, typer.Option("--per-system", min=1, max=32, help="Calls in flight per system")]
Reason = Annotated[str, typer.Option("--reason", help="Why; shown in the report and the audit log")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Offboard everyone in this file (email,at,reason)")]


@offboard_app.callback()
def offboard(ctx: typer.Context, csv: CsvOption = None, dry_run: DryRun = False, reason: Reason = "",
             per_system: PerSystem = engine.PER_SYSTEM, as_email: AsOption = None) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if csv is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    bulk(ctx, csv=csv, dry_run=dry_run, reason=reason, per_system=per_system, as_email=as_email)


@offboard_app.command("run")
def run(ctx: typer.Context, email: Email, dry_run: DryRun = False, reason: Reason = "",
        at: Annotated[str | None, typer.Option("--at", help="Later: 2026-11-30T17:00 (catalog time zone), "
                                                              "or a date for the end of that day")] = None,
        per_system: PerSystem = engine.PER_SYSTEM, as_email: AsOption = None) -> None:
    """Offboard one person now (or resume their unfinished offboarding), or schedule it."""
    with opened_deps(ctx) as deps:
        try:
            if dry_run:
                _print_plan(plan.preview(deps, email))
                return
            actor = actor_for(deps, as_email)
            if at is not None:
                _schedule(deps, email, at, reason, actor)
                return
            with _Progress() as progress:
                result = engine.run(deps, email=email, actor=actor, reason=reason, per_system=per_system,
                                    on_progress=progress)
        except DomainError as error:
            raise refuse(error) from None
        typer.echo(reports.render(result))
        raise typer.Exit(1 if result.failed else 0)


def _schedule(deps, email: str, at: str, reason: str, actor) -> None:
    try:
        moment = parse_moment(at, deps.catalog.settings.zone)
    except ValueError as error:
        raise fail(str(error)) from None
    with deps.store.uow() as s:
        record = prepare.schedule(s, deps.ctx(actor), person=directory.require(s, email), at=moment, reason=reason)
        typer.echo(f"Offboarding #{record.id} of {email} scheduled for {moment:%Y-%m-%d %H:%M} UTC "
                   f"({moment.astimezone(deps.catalog.settings.zone):%Y-%m-%d %H:%M %Z}).")


@offboard_app.command("report")
def report(ctx: typer.Context, email: Email) -> None:
    """The latest offboarding of EMAIL, as it stands now (background retries included)."""
    with opened_deps(ctx) as deps:
        try:
            current = engine.current_report(deps, email)
        except DomainError as error:
            raise fail(error.message) from None
    if current is None:
        raise fail(f"{email} has never been offboarded.", 1)
    typer.echo(reports.render(current))
    raise typer.Exit(1 if current.failed else 0)


@offboard_app.command("cancel")
def cancel(ctx: typer.Context, email: Email, reason: Reason = "cancelled from the command line",
           as_email: AsOption = None) -> None:
    """Withdraw a scheduled offboarding of EMAIL."""
    with opened_deps(ctx) as deps:
        try:
            actor = actor_for(deps, as_email)
            with deps.store.uow() as s:
                record = prepare.cancel_scheduled(s, deps.ctx(actor), person=directory.require(s, email), reason=reason)
        except DomainError as error:
            raise refuse(error) from None
    if record is None:
        raise fail(f"No offboarding of {email} is scheduled.", 1)
    typer.echo(f"Offboarding #{record.id} of {email} cancelled.")


@offboard_app.command("bulk")
def bulk(ctx: typer.Context, csv: Annotated[Path, typer.Option("--csv", help="email,at,reason")],
         dry_run: DryRun = False, reason: Reason = "", per_system: PerSystem = engine.PER_SYSTEM,
         as_email: AsOption = None) -> None:
    """Offboard everyone in a CSV file: checked first, then all systems in parallel."""
    with opened_deps(ctx) as deps:
        leavers, problems = read_leavers(csv, deps)
        if problems:
            for problem in problems:
                typer.echo(problem, err=True)
            raise fail(f"Nothing was changed: fix the {len(problems)} problem(s) above and run again.")
        if dry_run:
            for leaver in leavers:
                _print_plan(plan.preview(deps, leaver.email))
            return
        try:
            results, scheduled = _bulk(deps, leavers, actor_for(deps, as_email), reason, per_system)
        except DomainError as error:
            raise refuse(error) from None
    _print_summary(results, scheduled)
    raise typer.Exit(1 if any(r.failed for r in results) else 0)


def _bulk(deps, leavers: list[Leaver], actor, reason: str, per_system: int):
    now = deps.clock.now()
    later = [leaver for leaver in leavers if leaver.at is not None and leaver.at > now]
    for leaver in later:
        with deps.store.uow() as s:
            prepare.schedule(s, deps.ctx(actor), person=directory.require(s, leaver.email), at=leaver.at,
                             reason=leaver.reason or reason)
    ids = []
    for leaver in (x for x in leavers if x not in later):
        ids += engine.start_many(deps, emails=[leaver.email], actor=actor, reason=leaver.reason or reason)
    with _Progress() as progress:
        results = engine.drive(deps, ids, per_system=per_system, on_progress=progress) if ids else []
    return results, later


class _Progress:
    """A progress bar over every connector call, created once the total is known."""

    def __init__(self):
        self.bar, self.done = None, 0

    def __call__(self, finished: int, total: int) -> None:
        if self.bar is None:
            self.bar = typer.progressbar(length=total, label="Connector calls", file=None).__enter__()
        self.bar.update(finished - self.done)
        self.done = finished

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _print_plan(preview: plan.OffboardPlan) -> None:
    typer.echo(f"Would offboard {preview.person_email} ({preview.person_status}):")
    for step in preview.steps:
        calls = "; ".join(step.planned_calls) or "-"
        typer.echo(f"  {step.system:<16} {step.what:<40} {('⚠ ' + step.problem) if step.problem else calls}")
    for request_id, ref in preview.requests_to_cancel:
        typer.echo(f"  cancel pending request #{request_id} ({ref})")
    for request_id, label in preview.approvals_to_reroute:
        typer.echo(f"  re-route approval of request #{request_id} ({label})")
    if preview.no_account:
        typer.echo(f"  no account in: {', '.join(preview.no_account)}")
    if preview.privileged:
        typer.echo(f"  privileged access: {', '.join(preview.privileged)}")


def _print_summary(results: list[reports.OffboardReport], scheduled: list[Leaver]) -> None:
    typer.echo(f"{'person':<36} {'status':<9} {'✅':>4} {'❌':>4} {'⏳':>4}  first problem")
    for r in results:
        problem = next((f"{s.system}: {i.what}: {i.reason}" for s in r.systems for i in s.items
                        if i.state == reports.FAILED), "")
        typer.echo(f"{r.person_email:<36} {r.status:<9} {r.count(reports.OK):>4} {r.count(reports.FAILED):>4} "
                   f"{r.count(reports.PENDING):>4}  {problem}")
    for leaver in scheduled:
        typer.echo(f"{leaver.email:<36} {'scheduled':<9} {'':>4} {'':>4} {'':>4}  at {leaver.at:%Y-%m-%d %H:%M} UTC")
    failed = sum(1 for r in results if r.failed)
    typer.echo(f"{len(results)} offboarded ({failed} with failures), {len(scheduled)} scheduled.")
