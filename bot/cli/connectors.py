"""``accessbot connectors ...``: inspect the configured connector instances.

``check`` builds every instance from the connectors file, runs each one's checks (configuration,
credentials, reachability) in parallel and prints one row per check. It exits 1 when any check
fails and 2 when the file itself is invalid, so it can gate a deploy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.domain.clock import SystemClock
from bot.store.connector_host import StoredFacts, existing_store_with_facts
from bot.store.db import Store
from connectors.checks import CheckRow, failed, run_checks
from connectors.config import ConnectorConfigError, load_config
from connectors.host import ConnectorHost
from connectors.registry import KINDS, build_each

connectors_app = typer.Typer(help="Connector instances: check configuration, credentials and reachability.",
                             no_args_is_help=True)



@connectors_app.callback()
def connectors_group() -> None:
    """Connector instances: check configuration, credentials and reachability."""
    # A callback keeps this a command group even while it has a single command.


ConfigOption = Annotated[Path, typer.Option("--config", "-c", envvar="ACCESSBOT_CONNECTORS",
                                            help="Connectors YAML file.")]


@connectors_app.command("check")
def check(config: ConfigOption = Path("connectors.yaml"),
          timeout: Annotated[float, typer.Option(help="Seconds to wait for all checks.")] = 15.0) -> None:
    """Check every connector instance; exit non-zero if any check fails."""
    try:
        parsed = load_config(config, known_types=KINDS)
    except ConnectorConfigError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    store = _database_with_learned_facts()
    host = ConnectorHost(facts=StoredFacts(store, SystemClock())) if store is not None else None
    connectors, build_failures = build_each(parsed, environ=os.environ, host=host)
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
    if bad:
        raise typer.Exit(1)


def _database_with_learned_facts() -> Store | None:
    """The bot's database, so the check shows what the running bot learned about its targets."""
    from bot.settings import Settings

    return existing_store_with_facts(Settings().database_url)


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
