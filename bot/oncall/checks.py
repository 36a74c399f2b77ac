"""What ``accessbot oncall check`` and ``accessbot policy check`` say about on-call: the file against
the catalog (every schedule a rule names is defined), credentials present, providers answering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.domain.clock import SystemClock
from bot.oncall.config import OnCallFileSpec
from bot.oncall.service import build
from policies.catalog import Catalog


def schedules_in(catalog: Catalog) -> dict[str, list[str]]:
    """Schedule name -> the entitlements whose auto-approve rules ask about it."""
    found: dict[str, list[str]] = {}
    for ref, ent in sorted(catalog.entitlements.items()):
        for schedule in sorted(ent.on_call_schedules):
            found.setdefault(schedule, []).append(ref)
    return found


def catalog_problems(spec: OnCallFileSpec | None, catalog: Catalog, source: str) -> list[str]:
    """A schedule named in a rule but not in the file would never count anyone as on call: an error."""
    used = schedules_in(catalog)
    if spec is None:
        return [f"on_call(\"{name}\") in {', '.join(refs)}: no on-call file is configured "
                "(ACCESSBOT_ON_CALL_FILE), so nobody counts as on call" for name, refs in used.items()]
    known = ", ".join(sorted(spec.schedules)) or "none"
    return [f"on_call(\"{name}\") in {', '.join(refs)}: {source} defines no schedule {name!r} (defined: {known})"
            for name, refs in used.items() if name not in spec.schedules]


def live_problems(spec: OnCallFileSpec, environ: Mapping[str, str]) -> list[str]:
    """Build every provider (absent credentials are problems) and ask each schedule once."""
    service = build(spec, environ, SystemClock(), timedelta(seconds=1))
    try:
        return [f"schedule {name!r}: {answer.problem}" for name in sorted(spec.schedules)
                if (answer := service.status(name, "accessbot-check@invalid")).problem]
    finally:
        service.close()
