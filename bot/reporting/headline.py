"""The headline numbers as a few lines of plain text (Slack's `/access-admin stats`): no links, no
names, nothing a person typed."""

from __future__ import annotations

from bot.reporting.figures import ALL, Figures
from bot.reporting.tables import duration_text, percent


def summary(f: Figures, days: int) -> str:
    def times(metric: str) -> str:
        s = f.headline(metric)
        if not s.count:
            return "none"
        return f"p50 {duration_text(s.p50)}, p90 {duration_text(s.p90)}, max {duration_text(s.max)} ({s.count})"

    orphans = sum(o.open for o in f.orphans)
    worst = max(f.orphans, key=lambda o: (o.open, o.system), default=None)
    share = f.time_bound.get(ALL, {}).get("")
    lines = [
        f"accessbot, last {days} days (to {f.period.until:%Y-%m-%d %H:%M} UTC)",
        f"Time to approve: {times('time_to_approve')}",
        f"Time to provision: {times('time_to_provision')}",
        f"Time to deprovision: {times('time_to_deprovision')}",
        f"Revoke lateness: {times('revoke_lateness')}",
        f"Orphaned accounts open: {orphans}" + (f" (most on {worst.system}: {worst.open})" if worst and worst.open else ""),
        f"Active grants time-bound: {percent(share.ratio if share else None)}"
        + (f" of {share.total}" if share and share.total else ""),
        f"Open requests: {f.open_requests.count}" + (f", oldest {duration_text(f.open_requests.max)}"
                                                       if f.open_requests.count else ""),
        f"Failed revocations open: {sum(f.failed_revocations.values())}",
    ]
    return "\n".join(lines)
