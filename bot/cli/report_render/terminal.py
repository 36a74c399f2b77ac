"""The figures as rich tables for a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.reporting.figures import ALL, DURATION_METRICS, Figures
from bot.reporting.tables import duration_text, percent

TITLES = {
    "time_to_approve": "Time to approve", "time_to_provision": "Time to provision (request)",
    "time_to_provision_joiner": "Time to provision (joiner)", "time_to_deprovision": "Time to deprovision",
    "time_to_deprovision_per_system": "Time to deprovision per system", "revoke_lateness": "Revoke lateness",
}


def render(f: Figures, console: Console) -> None:
    console.print(f"[bold]accessbot report[/bold] {f.period.since:%Y-%m-%d %H:%M} → {f.period.until:%Y-%m-%d %H:%M} UTC "
                  f"(open items as of {f.as_of:%Y-%m-%d %H:%M})")
    headline = Table(title="Lifecycle times (p50 / p90 / max)", title_justify="left")
    for column in ("Measure", "Count", "p50", "p90", "Max"):
        headline.add_column(column, justify="left" if column == "Measure" else "right")
    for metric in DURATION_METRICS:
        s = f.headline(metric)
        headline.add_row(TITLES[metric], str(s.count), duration_text(s.p50), duration_text(s.p90), duration_text(s.max))
    console.print(headline)
    for metric in DURATION_METRICS:
        for dimension, groups in f.durations.get(metric, {}).items():
            if dimension == ALL or not groups:
                continue
            table = Table(title=f"{TITLES[metric]}, by {dimension}", title_justify="left")
            for column in (dimension.capitalize(), "Count", "p50", "p90", "Max"):
                table.add_column(column, justify="left" if column == dimension.capitalize() else "right")
            for key, s in groups.items():
                table.add_row(key or "(none)", str(s.count), duration_text(s.p50), duration_text(s.p90),
                              duration_text(s.max))
            console.print(table)
    orphans = Table(title="Orphaned accounts (reconcile; each counted once until fixed)", title_justify="left")
    for column in ("System", "Open", "Accounts", "Rate", "Found", "Fixed"):
        orphans.add_column(column, justify="left" if column == "System" else "right")
    for o in f.orphans:
        orphans.add_row(o.system, str(o.open), "–" if o.accounts is None else str(o.accounts), percent(o.rate),
                        str(o.found), str(o.fixed))
    console.print(orphans)
    bound = Table(title="Active grants that are time-bound", title_justify="left")
    for column in ("By", "Key", "Time-bound", "Active", "Share"):
        bound.add_column(column, justify="left" if column in ("By", "Key") else "right")
    for dimension, shares in f.time_bound.items():
        for key, share in shares.items():
            bound.add_row(dimension, key, str(share.part), str(share.total), percent(share.ratio))
    console.print(bound)
    r = f.open_requests
    console.print(f"Open requests: {r.count} (age p50 {duration_text(r.p50)}, p90 {duration_text(r.p90)}, "
                  f"max {duration_text(r.max)}); by age: "
                  + ", ".join(f"{label} {count}" for label, count in f.open_requests_by_age.items()))
    failed = sum(f.failed_revocations.values())
    console.print(f"Failed revocations open: {failed}"
                  + (" (" + ", ".join(f"{c} {n}" for c, n in f.failed_revocations.items()) + ")" if failed else "")
                  + f"; offboardings unfinished: {f.offboardings_unfinished}")
