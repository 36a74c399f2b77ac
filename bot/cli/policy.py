"""`accessbot policy ...`: check a catalog before deploying it, and explain a decision."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

import policies
from policies import PolicyLoadError, RequestFacts, load_catalog
from policies.catalog import Catalog
from policies.durations import DurationError, parse_duration
from policies.explain import explain as explain_decision
from policies.explain import render
from policies.neighbours import find_connectors_file, find_people_file, read_connector_names
from policies.people_file import PeopleDirectory, read_people

EXAMPLE_CATALOG = Path(policies.__file__).parent / "examples" / "acme" / "catalog"

policy_app = typer.Typer(help="Check the access catalog and explain its decisions.", no_args_is_help=True)

CatalogPath = Annotated[Path | None, typer.Argument(
    help="Catalog file or directory [default: $ACCESSBOT_CATALOG, else the bundled Acme example]",
    show_default=False)]
PeopleOption = Annotated[Path | None, typer.Option(
    "--people", help="people.yaml or people.csv [default: found next to the catalog]", show_default=False)]
ConnectorsOption = Annotated[Path | None, typer.Option(
    "--connectors", help="connectors.yaml [default: found next to the catalog]", show_default=False)]


def default_catalog_path() -> Path:
    configured = os.environ.get("ACCESSBOT_CATALOG")
    return Path(configured) if configured else EXAMPLE_CATALOG


@policy_app.command()
def check(
    path: CatalogPath = None,
    people: PeopleOption = None,
    connectors: ConnectorsOption = None,
    standalone: Annotated[bool, typer.Option(
        "--standalone", help="Do not cross-check people and connectors, even if their files are found")] = False,
) -> None:
    """Load the catalog and report every problem as file:line: reason. Exits 1 if there is any."""
    catalog_path = path or default_catalog_path()
    try:
        directory, people_file = (None, None) if standalone else _directory(catalog_path, people)
        connector_names, connectors_file = (None, None) if standalone else _connectors(catalog_path, connectors)
        catalog = load_catalog(
            catalog_path, connectors=connector_names,
            people=directory.emails if directory else None, groups=directory.groups if directory else None)
    except PolicyLoadError as exc:
        for issue in exc.issues:
            typer.echo(str(issue))
        count = len(exc.issues)
        typer.echo(f"FAILED: {count} problem{'s' if count != 1 else ''} in {catalog_path}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"OK: {catalog.summary()}")
    typer.echo(_checked_against(people_file, directory, connectors_file, connector_names))


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
    catalog_path = catalog or default_catalog_path()
    try:
        directory, _ = _directory(catalog_path, people)
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


def _directory(catalog_path: Path, people: Path | None) -> tuple[PeopleDirectory | None, Path | None]:
    people_file = people or find_people_file(catalog_path)
    if people_file is None:
        return None, None
    return PeopleDirectory(read_people(people_file)), people_file


def _connectors(catalog_path: Path, connectors: Path | None) -> tuple[list[str] | None, Path | None]:
    connectors_file = connectors or find_connectors_file(catalog_path)
    if connectors_file is None:
        return None, None
    return read_connector_names(connectors_file), connectors_file


def _checked_against(people_file: Path | None, directory: PeopleDirectory | None,
                     connectors_file: Path | None, connector_names: list[str] | None) -> str:
    parts = []
    if people_file and directory:
        parts.append(f"{people_file} ({len(directory.emails)} people, {len(directory.groups)} groups)")
    if connectors_file and connector_names is not None:
        parts.append(f"{connectors_file} ({len(connector_names)} connectors)")
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


def _fail(message: str):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
