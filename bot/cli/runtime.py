"""What the operational commands (offboard, reconcile) share: the running Deps and who acts."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

import typer

from bot.deps import Deps
from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.domain.errors import DomainError, UnknownPerson
from bot.ledger.context import Actor
from bot.ledger.authorisation import require_it_admin


@contextmanager
def opened_deps(ctx: typer.Context, *, calls_connectors: bool = True) -> Iterator[Deps]:
    """The Deps given to the CLI (tests: ``CliRunner().invoke(app, args, obj=deps)``), else built
    from the environment and closed afterwards. A command that only reads the ledger (reports) says
    ``calls_connectors=False``: its connectors are simulated stand-ins with the configured names and
    types (the catalog still loads against them) and it needs no connector credential."""
    given = ctx.find_object(Deps)
    if given is not None:
        yield given
        return
    from bot.deps import build_deps
    from bot.loading import load_connectors_for
    from bot.settings import Settings

    settings = Settings()
    stand_ins = None if calls_connectors else load_connectors_for(settings.model_copy(update={"simulate_connectors":
                                                                                               True}))
    deps = build_deps(settings, connectors=stand_ins)
    try:
        yield deps
    finally:
        deps.close()


def actor_for(deps: Deps, as_email: str | None) -> Actor:
    """``--as EMAIL`` must be an IT admin; without it the shell user is on record."""
    if not as_email:
        return Actor(f"cli:{getpass.getuser()}", Trigger.CLI)
    with deps.store.uow() as s:
        person = directory.require(s, as_email)
        require_it_admin(deps.ctx(Actor.person(person, Trigger.CLI)), person, "offboard people")
        return Actor.person(person, Trigger.CLI)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def refuse(error: DomainError) -> typer.Exit:
    """1: the operation refused; 2 (bad input, as the commands document) when the person is unknown."""
    return fail(f"Refused: {error.message}", 2 if isinstance(error, UnknownPerson) else 1)


def parse_moment(text: str, zone) -> datetime:
    """ISO date-time (no offset: in ``zone``), or a date: the end of that day in ``zone``."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (2026-11-30) or a date-time (2026-11-30T17:00)") from None
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return moment.astimezone(timezone.utc)
