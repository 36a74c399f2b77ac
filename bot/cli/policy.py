"""`accessbot policy ...`: check a catalog before deploying it, and explain a decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from bot.oncall.checks import catalog_problems
from bot.oncall.config import OnCallConfigError
from bot.oncall.config import load as load_on_call
from bot.settings import Settings, credentials_environment
from connectors.config import ConnectorConfigError, load_config
from connectors.schema_check import TargetCheck, check_config, target_checks
from policies import PolicyLoadError, RequestFacts, load_catalog
from policies.catalog import Catalog
from policies.durations import DurationError, parse_duration
from policies.explain import explain as explain_decision
from policies.explain import render
from policies.people_file import PeopleDirectory, read_people

policy_app = typer.Typer(help="Check the access catalog and explain its decisions.", no_args_is_help=True)

CatalogPath = Annotated[Path | None, typer.Argument(
    help="Catalog file or directory [default: $ACCESSBOT_CATALOG, else the bundled Acme example]",
    show_default=False)]
PeopleOption = Annotated[Path | None, typer.Option(
    "--people", help="people.yaml or people.csv [default: found next to the catalog]", show_default=False)]
ConnectorsOption = Annotated[Path | None, typer.Option(
    "--connectors", help="connectors.yaml [default: found next to the catalog]", show_default=False)]


@dataclass
class ConnectorsFacts:
    """What the connectors file tells the catalog check, and what is wrong with the file itself."""

    path: Path
    names: list[str] | None = None  # None: the file did not parse, so the catalog's connectors go unchecked
    targets: dict[str, TargetCheck] | None = None
    problems: list[str] = field(default_factory=list)  # errors: the file or an instance's options
    absent_credentials: list[str] = field(default_factory=list)  # not errors here; serve needs them


@policy_app.command()
def check(
    path: CatalogPath = None,
    people: PeopleOption = None,
    connectors: ConnectorsOption = None,
    standalone: Annotated[bool, typer.Option(
        "--standalone", help="Do not cross-check people and connectors, even if their files are found")] = False,
) -> None:
    """Load the catalog and report every problem as file:line: reason. Exits 1 if there is any,
    2 if a file it is given does not exist.

    With a connectors file, every instance's options are checked against its type and every
    entitlement's target against its instance's type, in the same round; credentials need not be
    present (an absent one is a warning here, and an error for serve and `connectors check`)."""
    if standalone and (people or connectors):  # silently skipping a file named on purpose would pass it unread
        _fail("--standalone checks the catalog alone: drop it to check --people or --connectors too")
    settings = Settings()
    catalog_path = path or settings.catalog
    _require_files(catalog_path, people, connectors)
    problems: list[str] = []
    directory, people_file = None, None
    if not standalone:
        try:
            directory, people_file = _directory(settings, catalog_path, people)
        except PolicyLoadError as exc:  # the catalog is still checked, without its people
            problems.extend(str(issue) for issue in exc.issues)
    facts = None if standalone else _connectors(settings, catalog_path, connectors)
    catalog = None
    try:
        catalog = load_catalog(
            catalog_path, connectors=facts and facts.names, targets=facts and facts.targets,
            people=directory.emails if directory else None, groups=directory.groups if directory else None)
    except PolicyLoadError as exc:
        problems.extend(str(issue) for issue in exc.issues)
    problems.extend(facts.problems if facts else ())
    if catalog is not None and not standalone:
        problems.extend(_on_call_problems(settings, catalog))
    for problem in problems:
        typer.echo(problem)
    for absent in facts.absent_credentials if facts else ():
        typer.echo(f"warning: {absent} (needed by serve, not by this check)", err=True)
    if problems or catalog is None:
        count = len(problems)
        typer.echo(f"FAILED: {count} problem{'s' if count != 1 else ''} in {catalog_path}"
                   + (f" and {facts.path}" if facts and facts.problems else ""), err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {catalog.summary()}")
    typer.echo(_checked_against(people_file, directory, facts))


@policy_app.command()
def explain(
    person: Annotated[str, typer.Option("--person", help="The requester's email")],
    entitlement: Annotated[str, typer.Option("--entitlement", help="app:role, e.g. github:admin")],
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", help="Catalog file or directory [default: $ACCESSBOT_CATALOG or the example]",
        show_default=False)] = None,
    people: PeopleOption = None,
    holding: Annotated[list[str] | None, typer.Option(
        "--holding", help="An entitlement the person holds now (repeatable), for separation of duties")] = None,
    duration: Annotated[str | None, typer.Option(
        "--duration", help="Requested duration, e.g. 4h or permanent [default: the entitlement's default]",
        show_default=False)] = None,
    justification: Annotated[str, typer.Option("--justification")] = "",
    ticket: Annotated[str, typer.Option("--ticket")] = "",
) -> None:
    """Explain whether PERSON may get ENTITLEMENT, for how long, who approves, and why."""
    settings = Settings()
    catalog_path = catalog or settings.catalog
    _require_files(catalog_path, people)
    try:
        directory, _ = _directory(settings, catalog_path, people)
        loaded = load_catalog(catalog_path)
    except PolicyLoadError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if directory is None:
        _fail(f"no people file found next to {catalog_path}; pass --people")
    facts = directory.facts(person, on=date.today())
    if facts is None:
        _fail(f"{person} is not in the people file")
    request = RequestFacts(_duration(loaded, entitlement, duration), justification, ticket)
    try:
        result = explain_decision(loaded, entitlement, facts, directory, holding=holding or (), request=request)
    except KeyError as exc:
        _fail(str(exc))
    typer.echo(render(result, name_of=lambda email: _name(directory, email)))


def _on_call_problems(settings: Settings, catalog: Catalog) -> list[str]:
    """Schedules the rules name must be in the on-call file; without one, a warning (serve would say no)."""
    if settings.on_call_file is None:
        for warning in catalog_problems(None, catalog, ""):
            typer.echo(f"warning: {warning}", err=True)
        return []
    try:
        return catalog_problems(load_on_call(settings.on_call_file), catalog, str(settings.on_call_file))
    except OnCallConfigError as exc:
        return exc.problems


def _directory(settings: Settings, catalog_path: Path,
               people: Path | None) -> tuple[PeopleDirectory | None, Path | None]:
    people_file = people or settings.resolved_people_file(catalog_path)
    if people_file is None:
        return None, None
    return PeopleDirectory(read_people(people_file)), people_file


def _connectors(settings: Settings, catalog_path: Path, connectors: Path | None) -> ConnectorsFacts | None:
    path = connectors or settings.resolved_connectors_file(catalog_path)
    if path is None:
        return None
    facts = ConnectorsFacts(path)
    try:
        config = load_config(path)
    except ConnectorConfigError as exc:
        facts.problems = exc.problems
        return facts
    facts.names = list(config.instances)
    facts.targets = target_checks({name: instance.type for name, instance in config.instances.items()})
    for found in check_config(config, credentials_environment()).values():
        facts.problems.extend(found.options)
        facts.absent_credentials.extend(found.credentials)
    return facts


def _checked_against(people_file: Path | None, directory: PeopleDirectory | None,
                     facts: ConnectorsFacts | None) -> str:
    parts = []
    if people_file and directory:
        parts.append(f"{people_file} ({len(directory.emails)} people, {len(directory.groups)} groups)")
    if facts is not None:
        parts.append(f"{facts.path} ({len(facts.names or ())} connectors, their options and targets)")
    if not parts:
        return "Not cross-checked: no people or connectors file found (owners, approvers and connectors unchecked)"
    return "Cross-checked against " + " and ".join(parts)


def _duration(catalog: Catalog, ref: str, text: str | None):
    if text is None:
        try:
            return catalog.entitlement(ref).durations.default
        except KeyError as exc:
            _fail(str(exc))
    try:
        return parse_duration(text)
    except DurationError as exc:
        _fail(f"--duration: {exc}")


def _name(directory: PeopleDirectory, email: str) -> str:
    record = directory.get(email)
    return f"{record.name} <{email}>" if record and record.name else email


def _require_files(*paths: Path | None) -> None:
    """A file named on the command line (or by a setting) that is not there is a usage error (exit 2),
    like any other bad argument, not a problem found in a catalog (exit 1)."""
    for path in paths:
        if path is not None and not path.exists():
            _fail(f"no such file: {path}")


def _fail(message: str):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
