"""``accessbot connectors ...``: inspect the configured connector instances.

``check`` builds every instance from the connectors file, runs each one's checks (configuration,
credentials, reachability) in parallel and prints one row per check. It checks what ``policy
check`` checks too (every instance's options, every catalog target against its instance's type).
It exits 1 when any check fails and 2 when the file itself is invalid or cannot be found, so it
can gate a deploy. It finds the file as ``serve`` does (``bot.settings``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.domain.clock import SystemClock
from bot.settings import Settings, credentials_environment
from bot.store.connector_host import StoredFacts, existing_store_with_facts
from connectors.checks import CheckRow, failed, run_checks
from connectors.config import ConnectorConfigError, ConnectorsConfig, load_config
from connectors.host import ConnectorHost
from connectors.registry import KINDS, build_each
from connectors.schema_check import target_checks
from policies import PolicyLoadError, load_catalog

connectors_app = typer.Typer(help="Connector instances: check configuration, credentials and reachability.",
                             no_args_is_help=True)



@connectors_app.callback()
def connectors_group() -> None:
    """Connector instances: check configuration, credentials and reachability."""
    # A callback keeps this a command group even while it has a single command.


ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Connectors YAML file [default: $ACCESSBOT_CONNECTORS_FILE, else connectors.yaml next "
                           "to the catalog, as serve finds it]", show_default=False)]


@connectors_app.command("check")
def check(config: ConfigOption = None,
          timeout: Annotated[float, typer.Option(help="Seconds to wait for all checks.")] = 15.0) -> None:
    """Check every connector instance; exit non-zero if any check fails."""
    settings = Settings()
    path = config or settings.resolved_connectors_file()
    if path is None:
        typer.echo(f"No connectors file: set ACCESSBOT_CONNECTORS_FILE, put connectors.yaml next to the catalog "
                   f"({settings.catalog}), or pass --config.", err=True)
        raise typer.Exit(2)
    try:
        parsed = load_config(path, known_types=KINDS)
    except ConnectorConfigError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    # The catalog that goes with this file: the configured one, or the one --config was not needed for.
    paired = config is None or "catalog" in settings.model_fields_set
    target_problems = _catalog_target_problems(settings, parsed) if paired else []
    store = existing_store_with_facts(settings.database_url)  # shows what the running bot learned
    host = ConnectorHost(facts=StoredFacts(store, SystemClock())) if store is not None else None
    connectors, build_failures = build_each(parsed, environ=credentials_environment(), host=host)
    try:
        rows = run_checks(connectors, timeout=timeout, build_failures=build_failures)
    finally:
        connectors.close()
        if store is not None:
            store.dispose()
    typer.echo(render_table(rows))
    bad = failed(rows)
    instances = {row.instance for row in rows}
    failing = {row.instance for row in bad}
    typer.echo(f"\n{len(instances)} instance(s), {len(failing)} failing")
    for problem in target_problems:
        typer.echo(problem)
    if target_problems:
        typer.echo(f"{len(target_problems)} catalog problem(s) in {settings.catalog}")
    if bad or target_problems:
        raise typer.Exit(1)


def _catalog_target_problems(settings: Settings, config: ConnectorsConfig) -> list[str]:
    """The configured catalog's problems (its targets checked against these instances' types); none
    when the catalog is not there to check."""
    if not settings.catalog.exists():
        return []
    types = {name: instance.type for name, instance in config.instances.items()}
    try:
        load_catalog(settings.catalog, connectors=list(types), targets=target_checks(types))
    except PolicyLoadError as exc:
        return [str(issue) for issue in exc.issues]
    return []


def render_table(rows: list[CheckRow]) -> str:
    header = ("INSTANCE", "TYPE", "CHECK", "RESULT", "DETAIL")
    lines = [(r.instance, r.type, r.check, "ok" if r.ok else "FAIL", _detail(r)) for r in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in (header, *lines))


def _detail(row: CheckRow) -> str:
    text = " ".join(row.detail.split())
    if not row.ok and row.error_kind and not text.startswith(f"{row.error_kind} error"):
        text = f"{row.error_kind} error: {text}" if text else f"{row.error_kind} error"
    return text
