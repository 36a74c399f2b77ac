"""``accessbot offboard``: remove every access of people who leave, now, later, or in bulk.

    accessbot offboard run alice@acme.example [--dry-run] [--at 2026-11-30T17:00] [--reason "..."]
    accessbot offboard report alice@acme.example
    accessbot offboard confirm 12 --as second.admin@acme.example   (four eyes: a second IT admin)
    accessbot offboard cancel 12                          (or the email: a scheduled or unconfirmed one)
    accessbot offboard --csv leavers.csv [--dry-run]      (also: accessbot offboard bulk --csv ...)

Exit codes: 0 everything done (or scheduled, or previewed); 1 something failed or was refused;
2 bad input (unknown person, unreadable CSV...), in which case nothing changed; 3 held for a second
IT admin's confirmation (someone with privileged access; ``--break-glass --reason`` skips it, audited).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.leavers_csv import Leaver, read_leavers
from bot.cli.offboard_report import render
from bot.cli.runtime import actor_for, fail, opened_deps, parse_moment, refuse
from bot.directory import service as directory
from bot.domain.errors import DomainError
from bot.domain.limits import DB_INT_MAX, row_id
from bot.offboarding import confirm as admin_offboard
from bot.offboarding import engine, plan, prepare
from bot.offboarding import report as reports
from bot.operations import record_refusal
from bot.store.models import Offboarding, Person

offboard_app = typer.Typer(help="Offboard people: every grant, account and session, on every system.",
                           invoke_without_command=True)

Email = Annotated[str, typer.Argument(help="The leaver's email")]
AsOption = Annotated[str | None, typer.Option("--as", help="Your email (an IT admin), for the audit log")]
PerSystem = Annotated[int, typer.Option("--per-system", min=1, max=32, help="Calls in flight per system")]
Reason = Annotated[str, typer.Option("--reason", help="Why; shown in the report and the audit log")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; change nothing")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Offboard everyone in this file (email,at,reason)")]
BreakGlass = Annotated[bool, typer.Option("--break-glass", help="Emergency: skip the second IT admin's confirmation "
                                                                "(needs --reason; audited)")]
WAITING_FOR_CONFIRMATION = 3  # exit code: held for a second IT admin (four eyes)


@offboard_app.callback()
def offboard(ctx: typer.Context, csv: CsvOption = None, dry_run: DryRun = False, reason: Reason = "",
             per_system: PerSystem = engine.PER_SYSTEM, as_email: AsOption = None,
             break_glass: BreakGlass = False) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if csv is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    bulk(ctx, csv=csv, dry_run=dry_run, reason=reason, per_system=per_system, as_email=as_email,
         break_glass=break_glass)


@offboard_app.command("run")
def run(ctx: typer.Context, email: Email, dry_run: DryRun = False, reason: Reason = "",
        at: Annotated[str | None, typer.Option("--at", help="Later: 2026-11-30T17:00 (catalog time zone), "
                                                              "or a date for the end of that day")] = None,
        per_system: PerSystem = engine.PER_SYSTEM, as_email: AsOption = None,
        break_glass: BreakGlass = False) -> None:
    """Offboard one person now (or resume their unfinished offboarding), or schedule it. Someone holding
    privileged access waits for a second IT admin (exit 3) unless --break-glass."""
    with opened_deps(ctx) as deps:
        moment = _moment(deps, at)  # a bad --at is bad input even in a dry run, which would otherwise hide it
        try:
            if dry_run:
                _print_plan(plan.preview(deps, email))
                return
            actor = actor_for(deps, as_email)
            record = _act(deps, actor, "offboard", ("person", email), lambda s, c: _begin(
                s, c, email=email, at=moment, reason=reason, break_glass=break_glass))
        except DomainError as error:
            raise refuse(error) from None
        _finish(deps, record, email, per_system)


def _finish(deps, record, email: str, per_system: int) -> None:
    """Drive a started offboarding to its report; a scheduled or held one is announced. Exits."""
    if record.status != prepare.RUNNING:
        raise typer.Exit(_announce(deps, record, email))
    with _Progress() as progress:
        result = engine.drive(deps, [record.id], per_system=per_system, on_progress=progress)[0]
    typer.echo(render(result))
    raise typer.Exit(1 if result.failed else 0)


def _moment(deps, at: str | None):
    if at is None:
        return None
    try:
        return parse_moment(at, deps.catalog.settings.zone)
    except ValueError as error:
        raise fail(str(error)) from None


def _begin(s, ctx, *, email: str, at, reason: str, break_glass: bool):
    """As IT's /offboard: ``--as`` names the admin (checked, never themselves); without it the shell
    operator asks. Four eyes apply either way."""
    person = directory.require(s, email)
    if ctx.actor.person_id is not None:
        admin_offboard.target_of(s, ctx, admin=s.get(Person, ctx.actor.person_id), person_id=person.id)
    return admin_offboard.begin(s, ctx, person=person, at=at, reason=reason, break_glass=break_glass)


def _act(deps, actor, name: str, subject: tuple[str, object], fn):
    """One transaction; a refusal is audited like any front end's (no background kick: the CLI drives)."""
    ctx = deps.ctx(actor)
    try:
        with deps.store.uow() as s:
            return fn(s, ctx)
    except DomainError as error:
        record_refusal(deps, ctx, name, error, subject)
        raise


def _announce(deps, record, email: str) -> int:
    """What a scheduled or held offboarding means, and its exit code."""
    zone = deps.catalog.settings.zone
    when = (f"{record.scheduled_for:%Y-%m-%d %H:%M} UTC ({record.scheduled_for.astimezone(zone):%Y-%m-%d %H:%M %Z})"
            if record.scheduled_for else None)
    if record.status == prepare.SCHEDULED:
        typer.echo(f"Offboarding #{record.id} of {email} scheduled for {when}.")
        return 0
    why = ", ".join((record.report or {}).get("confirmation", {}).get("privileged") or []) or "the catalog's rule"
    typer.echo(f"Offboarding #{record.id} of {email}{' for ' + when if when else ''} waits for a second IT admin "
               f"(four eyes: {why}).\nThey confirm it on its message in the IT channel, or with:\n"
               f"  accessbot offboard confirm {record.id} --as THEIR_EMAIL")
    return WAITING_FOR_CONFIRMATION


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
    typer.echo(render(current))
    raise typer.Exit(1 if current.failed else 0)


@offboard_app.command("confirm")
def confirm(ctx: typer.Context,
            offboarding_id: Annotated[int, typer.Argument(help="The offboarding's number", min=1, max=DB_INT_MAX)],
            as_email: AsOption = None, per_system: PerSystem = engine.PER_SYSTEM) -> None:
    """Confirm, as a second IT admin, an offboarding another IT admin asked for (four eyes)."""
    if not as_email:
        raise fail("Say who confirms with --as EMAIL: a second IT admin, not the one who asked.")
    with opened_deps(ctx) as deps:
        try:
            actor = actor_for(deps, as_email)
            record = _act(deps, actor, "confirm_offboarding", ("offboarding", offboarding_id),
                          lambda s, c: admin_offboard.confirm_offboarding(
                              s, c, admin=s.get(Person, actor.person_id), offboarding_id=offboarding_id))
            email = _email_of(deps, record)
        except DomainError as error:
            raise refuse(error) from None
        _finish(deps, record, email, per_system)


@offboard_app.command("cancel")
def cancel(ctx: typer.Context,
           which: Annotated[str, typer.Argument(help="The offboarding's number, or the leaver's email")],
           reason: Reason = "cancelled from the command line", as_email: AsOption = None) -> None:
    """Withdraw an offboarding that has not started: scheduled, or waiting for a second IT admin."""
    with opened_deps(ctx) as deps:
        try:
            actor = actor_for(deps, as_email)
            offboarding_id = _offboarding_id(deps, which)
            if offboarding_id is None:
                raise fail(f"No offboarding of {which} is scheduled or waiting for confirmation.", 1)
            record = _act(deps, actor, "cancel_offboarding", ("offboarding", offboarding_id), lambda s, c: (
                admin_offboard.cancel_offboarding(s, c, admin=s.get(Person, actor.person_id),
                                                  offboarding_id=offboarding_id, reason=reason)
                if actor.person_id is not None else prepare.cancel(s, c, offboarding_id=offboarding_id, reason=reason)))
            email = _email_of(deps, record)
        except DomainError as error:
            raise refuse(error) from None
    typer.echo(f"Offboarding #{record.id} of {email} cancelled.")


def _offboarding_id(deps, which: str) -> int | None:
    """``12`` or ``#12`` is an offboarding; an email means that person's scheduled or unconfirmed one."""
    digits = which.lstrip("#")
    number = row_id(digits)
    if number is not None:
        return number
    if digits.isdigit():  # a number no row can have: no such offboarding, not an unknown email
        raise fail(f"No offboarding #{digits}.", 1)
    with deps.store.uow() as s:
        person = directory.require(s, which)
        current = prepare.latest(s, person)
        if current is not None and current.status == prepare.SCHEDULED:
            return current.id
        proposal = prepare.unconfirmed(s, person)
        return proposal.id if proposal is not None else None


def _email_of(deps, record) -> str:
    with deps.store.uow() as s:
        return s.get(Person, record.person_id).email


@offboard_app.command("bulk")
def bulk(ctx: typer.Context, csv: Annotated[Path, typer.Option("--csv", help="email,at,reason")],
         dry_run: DryRun = False, reason: Reason = "", per_system: PerSystem = engine.PER_SYSTEM,
         as_email: AsOption = None, break_glass: BreakGlass = False) -> None:
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
            results, later = _bulk(deps, leavers, actor_for(deps, as_email), reason, per_system, break_glass)
        except DomainError as error:
            raise refuse(error) from None
    _print_summary(results, later)
    held = any(record.status == prepare.UNCONFIRMED for _, record in later)
    raise typer.Exit(1 if any(r.failed for r in results) else WAITING_FOR_CONFIRMATION if held else 0)


def _bulk(deps, leavers: list[Leaver], actor, reason: str, per_system: int, break_glass: bool):
    now = deps.clock.now()
    ids, later = [], []
    for leaver in leavers:
        at = leaver.at if leaver.at is not None and leaver.at > now else None
        record = _act(deps, actor, "offboard", ("person", leaver.email), lambda s, c, leaver=leaver, at=at: _begin(
            s, c, email=leaver.email, at=at, reason=leaver.reason or reason, break_glass=break_glass))
        if record.status == prepare.RUNNING:
            ids.append(record.id)
        else:
            later.append((leaver, record))
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
    if preview.second_confirmation:
        typer.echo(f"  a second IT admin must confirm it (four eyes: {preview.second_confirmation_why}); "
                   "HR and IdP leavers do not wait")
    if preview.awaiting:
        typer.echo(f"  offboarding #{preview.awaiting[0]} already waits for confirmation (asked by {preview.awaiting[1]})")


def _print_summary(results: list[reports.OffboardReport], later: list[tuple[Leaver, Offboarding]]) -> None:
    typer.echo(f"{'person':<36} {'status':<9} {'✅':>4} {'❌':>4} {'⏳':>4}  first problem")
    for r in results:
        problem = next((f"{s.system}: {i.what}: {i.reason}" for s in r.systems for i in s.items
                        if i.state == reports.FAILED), "")
        typer.echo(f"{r.person_email:<36} {r.status:<9} {r.count(reports.OK):>4} {r.count(reports.FAILED):>4} "
                   f"{r.count(reports.PENDING):>4}  {problem}")
    for leaver, record in later:
        when = f"at {record.scheduled_for:%Y-%m-%d %H:%M} UTC" if record.scheduled_for else "now"
        if record.status == prepare.UNCONFIRMED:
            typer.echo(f"{leaver.email:<36} {'held':<9} {'':>4} {'':>4} {'':>4}  {when}, once a second IT admin "
                       f"confirms #{record.id}")
        else:
            typer.echo(f"{leaver.email:<36} {'scheduled':<9} {'':>4} {'':>4} {'':>4}  {when}")
    failed = sum(1 for r in results if r.failed)
    held = sum(1 for _, record in later if record.status == prepare.UNCONFIRMED)
    typer.echo(f"{len(results)} offboarded ({failed} with failures), {len(later) - held} scheduled"
               + (f", {held} waiting for a second IT admin." if held else "."))
