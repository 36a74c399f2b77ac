"""``accessbot review``: run access-review campaigns from the shell.

    accessbot review start CAMPAIGN [--as it@acme.example]
    accessbot review status [CAMPAIGN|RUN]
    accessbot review remind CAMPAIGN|RUN [--as ...]
    accessbot review close CAMPAIGN|RUN [--as ...]
    accessbot review report CAMPAIGN|RUN --format csv|jsonl|pdf [--output FILE]

CAMPAIGN is a catalog campaign's name (its latest run), RUN a run's number. Without ``--as`` the
shell's user is on record. Exit codes: 0 done; 1 refused (already running, not an IT admin...);
2 bad input (unknown campaign or run, unknown format), in which case nothing changed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.runtime import fail, opened_deps, refuse
from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.domain.errors import DomainError, NotFoundError
from bot.ledger.context import Actor
from bot.operations import perform
from bot.reviews import admin, queries
from bot.reviews.report_pdf import render_pdf
from bot.store.models import Person

FORMATS = ("csv", "jsonl", "pdf")
review_app = typer.Typer(help="Access reviews: start, follow, remind, close and report campaigns.",
                         no_args_is_help=True)
Campaign = Annotated[str, typer.Argument(help="The catalog campaign's name (its latest run), or a run's number")]
AsOption = Annotated[str | None, typer.Option("--as", help="Your email (an IT admin), for the audit log")]


def _run(ctx: typer.Context, as_email: str | None, name: str, op, subject) -> object:
    """Perform ``op(s, octx, by)`` as ``--as`` (or the shell's user); refusals exit 1, unknown names 2."""
    with opened_deps(ctx) as deps:
        try:
            if as_email:
                with deps.store.uow() as s:
                    person = directory.require(s, as_email)
                    actor, person_id = Actor.person(person, Trigger.CLI), person.id
            else:
                import getpass
                actor, person_id = Actor(f"cli:{getpass.getuser()}", Trigger.CLI), None
            return perform(deps, actor, name, lambda s, octx: op(s, octx, s.get(Person, person_id) if person_id else None),
                           subject=subject)
        except NotFoundError as error:
            raise fail(error.message) from None
        except DomainError as error:
            raise refuse(error) from None


@review_app.command("start")
def start(ctx: typer.Context, campaign: Campaign, as_email: AsOption = None) -> None:
    progress = _run(ctx, as_email, "review.start", lambda s, octx, by: admin.start(s, octx, name=campaign, by=by),
                    ("review_campaign", campaign))
    typer.echo(f"Started {progress.line()}")


@review_app.command("status")
def status(ctx: typer.Context, campaign: Annotated[str | None, typer.Argument()] = None) -> None:
    with opened_deps(ctx) as deps, deps.store.uow() as s:
        try:
            lines = [p.line() for p in admin.status(s, campaign)]
        except NotFoundError as error:
            raise fail(error.message) from None
    typer.echo("\n".join(lines) if lines else "No review campaigns yet.")


@review_app.command("remind")
def remind(ctx: typer.Context, campaign: Campaign, as_email: AsOption = None) -> None:
    count = _run(ctx, as_email, "review.remind", lambda s, octx, by: admin.remind(s, octx, ref=campaign, by=by),
                 ("review_campaign", campaign))
    typer.echo(f"Reminded {count} reviewer(s).")


@review_app.command("close")
def close(ctx: typer.Context, campaign: Campaign, as_email: AsOption = None) -> None:
    progress = _run(ctx, as_email, "review.close", lambda s, octx, by: admin.close(s, octx, ref=campaign, by=by),
                    ("review_campaign", campaign))
    typer.echo(f"Closed {progress.line()}")


@review_app.command("report")
def report(ctx: typer.Context, campaign: Campaign,
           fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or pdf")] = "csv",
           output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (pdf: "
                                                      "else to standard output)")] = None) -> None:
    if fmt not in FORMATS:
        raise fail(f"--format must be csv, jsonl or pdf, not {fmt!r}")
    with opened_deps(ctx) as deps, deps.store.uow() as s:
        try:
            run = admin.run_of(s, campaign)
        except NotFoundError as error:
            raise fail(error.message) from None
        rows = queries.report_rows(s, run)
        if fmt == "pdf":
            data = render_pdf(queries.progress(s, run), rows, generated_at=deps.clock.now())
        else:
            data = queries.render_report(rows, fmt).encode()
    if output:
        with open(output, "wb") as out:
            out.write(data)
        typer.echo(f"Wrote {len(rows)} item(s) to {output}.", err=True)
        return
    typer.get_binary_stream("stdout").write(data)
