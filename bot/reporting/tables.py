"""The figures as data: flat rows (CSV, the terminal table) and one JSON document."""

from __future__ import annotations

import io
import json

from bot.domain import csv_cells
from bot.reporting.figures import ALL, DURATION_METRICS, Figures

COLUMNS = ["metric", "dimension", "key", "count", "p50_seconds", "p90_seconds", "max_seconds", "value"]


def rows(f: Figures) -> list[dict]:
    out = []
    for metric in DURATION_METRICS:
        for dimension, groups in f.durations.get(metric, {}).items():
            for key, summary in groups.items():
                out.append(_row(metric, dimension, key, count=summary.count, p50_seconds=summary.p50,
                                p90_seconds=summary.p90, max_seconds=summary.max))
    for o in f.orphans:
        out.append(_row("orphaned_accounts", "system", o.system, count=o.accounts, value=o.open))
        out.append(_row("orphaned_account_rate", "system", o.system, count=o.accounts, value=o.rate))
        out.append(_row("orphans_found", "system", o.system, value=o.found))
        out.append(_row("orphans_fixed", "system", o.system, value=o.fixed))
    for dimension, shares in f.time_bound.items():
        for key, share in shares.items():
            out.append(_row("time_bound_share", dimension, key, count=share.total, value=share.ratio))
    r = f.open_requests
    out.append(_row("open_request_age", ALL, "", count=r.count, p50_seconds=r.p50, p90_seconds=r.p90,
                    max_seconds=r.max))
    for label, count in f.open_requests_by_age.items():
        out.append(_row("open_requests_by_age", "age", label, value=count))
    for connector, count in f.failed_revocations.items():
        out.append(_row("failed_revocations_open", "connector", connector, value=count))
    out.append(_row("failed_revocations_open", ALL, "", value=sum(f.failed_revocations.values())))
    out.append(_row("offboardings_unfinished", ALL, "", value=f.offboardings_unfinished))
    return out


def _row(metric: str, dimension: str, key: str, **values) -> dict:
    return {"metric": metric, "dimension": dimension, "key": key, **{c: values.get(c) for c in COLUMNS[3:]}}


def to_csv(f: Figures) -> str:
    buffer = io.StringIO()
    writer = csv_cells.dict_writer(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(f))
    return buffer.getvalue()


def as_document(f: Figures) -> dict:
    return {
        "period": {"since": f.period.since.isoformat(), "until": f.period.until.isoformat(),
                   "as_of": f.as_of.isoformat()},
        "durations": {metric: {dimension: {key: s.as_dict() for key, s in groups.items()}
                               for dimension, groups in f.durations.get(metric, {}).items()}
                      for metric in DURATION_METRICS},
        "time_to_deprovision_values": f.deprovision_seconds,
        "time_to_provision_by_week": {connector: {week: s.as_dict() for week, s in weeks.items()}
                                      for connector, weeks in f.provision_by_week.items()},
        "orphaned_accounts": [{"system": o.system, "open": o.open, "accounts": o.accounts, "rate": o.rate,
                               "found": o.found, "fixed": o.fixed} for o in f.orphans],
        "time_bound_share": {dimension: {key: {"time_bound": s.part, "total": s.total, "ratio": s.ratio}
                                         for key, s in shares.items()} for dimension, shares in f.time_bound.items()},
        "open_requests": {**f.open_requests.as_dict(), "by_age": f.open_requests_by_age},
        "failed_revocations_open": f.failed_revocations,
        "offboardings_unfinished": f.offboardings_unfinished,
    }


def to_json(f: Figures) -> str:
    return json.dumps(as_document(f), sort_keys=True, indent=2) + "\n"


def duration_text(seconds: float | None) -> str:
    """90 → "1m 30s"; 7500 → "2h 5m"; None → "–"."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f}%"
