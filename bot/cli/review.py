"""``accessbot review``: run access-review campaigns from the shell.

    accessbot review start CAMPAIGN [--as it@acme.example]
    accessbot review status [CAMPAIGN|ID]
    accessbot review remind CAMPAIGN|ID
    accessbot review close CAMPAIGN|ID --as it@acme.example
    accessbot review report CAMPAIGN|ID --format csv|jsonl

Exit codes: 0 done; 1 refused (already running, not an IT admin...); 2 bad input (unknown campaign).
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from bot.cli.runtime import fail, opened_deps, refuse
from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.domain.errors import DomainError, NotFoundError
from bot.operations import perform
from bot.reviews import deadline, queries
from bot.reviews.start import start_campaign
from bot.store.models import Person, ReviewCampaignRun
from bot.workflow.context import Actor

review_app = typer.Typer(help="Access reviews: start, follow, remind, close and report campaigns.",
                         no_args_is_help=True)
Campaign = Annotated[str, typer.Argument(help="The catalog campaign name, or a run's id")]
AsOption = Annotated[str | None, typer.Option("--as", help="Your email (an IT admin), for the audit log")]


def _actor(deps, as_email: str | None):
    if not as_email:
        import getpass
        return Actor(f"cli:{getpass.getuser()}", Trigger.CLI), None
    with deps.store.uow() as s:
        person = directory.require(s, as_email)
        return Actor.person(person, Trigger.CLI), person.id


def _run(deps, ref: str) -> int:
    with deps.store.uow() as s:
        campaign = queries.find_campaign(s, ref)
        if campaign is None:
            raise fail(f"No review campaign run {ref!r}.")
        return campaign.id


@review_app.command("start")
def start(ctx: typer.Context, campaign: Campaign, as_email: AsOption = None) -> None:
    with opened_deps(ctx) as deps:
        actor, person_id = _actor(deps, as_email)

        def op(s, octx):
            by = s.get(Person, person_id) if person_id else None
            run = start_campaign(s, octx, name=campaign, by=by)
            return run.id, queries.progress(s, run).line()
        try:
            _, line = perform(deps, actor, "review.start", op, subject=("review_campaign", campaign))
        except NotFoundError as error:
            raise fail(error.message) from None
        except DomainError as error:
            raise refuse(error) from None
        typer.echo(f"Started {line}")


@review_app.command("status")
def status(ctx: typer.Context, campaign: Annotated[str | None, typer.Argument()] = None) -> None:
    with opened_deps(ctx) as deps, deps.store.uow() as s:
        if campaign:
            run = queries.find_campaign(s, campaign)
            if run is None:
                raise fail(f"No review campaign run {campaign!r}.")
            runs = [run]
        else:
            runs = list(s.scalars(select(ReviewCampaignRun).order_by(ReviewCampaignRun.id)))
        for run in runs:
            typer.echo(queries.progress(s, run).line())
        if not runs:
            typer.echo("No review campaigns yet.")


@review_app.command("remind")
def remind(ctx: typer.Context, campaign: Campaign, as_email: AsOption = None) -> None:
    with opened_deps(ctx) as deps:
        run_id = _run(deps, campaign)
        actor, _ = _actor(deps, as_email)
        reviewers = perform(deps, actor, "review.remind",
                            lambda s, octx: deadline.remind(s, octx, campaign_id=run_id))
        typer.echo(f"Reminded {len(reviewers)} reviewer(s).")


@review_app.command("close")
def close(ctx: typer.Context, campaign: Campaign, as_email: Annotated[str, typer.Option("--as")]) -> None:
    with opened_deps(ctx) as deps:
        run_id = _run(deps, campaign)
        actor, person_id = _actor(deps, as_email)

        def op(s, octx):
            run = deadline.close(s, octx, campaign_id=run_id, by=s.get(Person, person_id))
            return queries.progress(s, run).line()
        try:
            typer.echo(f"Closed {perform(deps, actor, 'review.close', op, subject=('review_campaign', run_id))}")
        except DomainError as error:
            raise refuse(error) from None


@review_app.command("report")
def report(ctx: typer.Context, campaign: Campaign,
           fmt: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv") -> None:
    if fmt not in ("csv", "jsonl"):
        raise fail(f"--format must be csv or jsonl, not {fmt!r}")
    with opened_deps(ctx) as deps:
        run_id = _run(deps, campaign)
        with deps.store.uow() as s:
            typer.echo(queries.render_report(queries.report_rows(s, s.get(ReviewCampaignRun, run_id)), fmt), nl=False)
