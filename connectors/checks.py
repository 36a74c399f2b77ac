"""Run every instance's ``check()`` at once, with a deadline, and report one row per check.

Used by ``accessbot connectors check`` and at start-up. A check that hangs is reported as a
failure when the deadline passes instead of holding the command; one that raises (the contract
says it must not) is reported with the error's kind rather than crashing the report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.base import Check, Connector
from connectors.errors import ConnectorError
from connectors.registry import BuildFailure, ConnectorSet


@dataclass(frozen=True)
class CheckRow:
    instance: str
    type: str
    check: str
    ok: bool
    detail: str = ""
    error_kind: str | None = None


def run_checks(connectors: ConnectorSet, *, timeout: float = 15.0,
               build_failures: Iterable[BuildFailure] = ()) -> list[CheckRow]:
    """Rows for instances that could not be built, then every built instance's checks."""
    rows = [CheckRow(f.name, f.type, "config", False, "; ".join(f.problems), "config") for f in build_failures]
    results: dict[str, list[Check]] = {}
    # Daemon threads, not an executor: a check stuck on a dead target must not keep the process
    # alive after the report is printed (executor workers are joined at interpreter exit).
    threads = {name: threading.Thread(target=_run_check, args=(connectors[name], results, name),
                                      name=f"connector-check-{name}", daemon=True) for name in connectors}
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        rows.extend(_rows_of(name, connectors.configured_type(name), results.get(name), timeout))
    return rows


def _run_check(connector: Connector, results: dict[str, list[Check]], name: str) -> None:
    results[name] = _checks_of(connector)


def _checks_of(connector: Connector) -> list[Check]:
    try:
        return connector.check()
    except ConnectorError as exc:
        return [Check("reachability", False, exc.detail, exc.kind)]
    except Exception as exc:  # the report must still show every other instance
        return [Check("reachability", False, f"check crashed: {type(exc).__name__}", "error")]


def _rows_of(name: str, kind: str, checks: list[Check] | None, timeout: float) -> list[CheckRow]:
    if checks is None:
        return [CheckRow(name, kind, "reachability", False, f"no answer within {timeout:g}s", "transient")]
    if not checks:
        return [CheckRow(name, kind, "config", False, "the connector reported no checks", "error")]
    return [CheckRow(name, kind, c.name, c.ok, c.detail, c.error_kind) for c in checks]


def failed(rows: list[CheckRow]) -> list[CheckRow]:
    return [row for row in rows if not row.ok]
