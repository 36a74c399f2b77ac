"""``accessbot report --format html``: one self-contained page (inline CSS and SVG, no network)."""

from __future__ import annotations

from html import escape

from bot.cli.report_render.charts import bars, lines
from bot.cli.report_render.terminal import TITLES
from bot.reporting.figures import ALL, DURATION_METRICS, Figures
from bot.reporting.tables import duration_text, percent

# Time-to-deprovision histogram buckets: (label, upper bound in seconds).
DEPROVISION_BUCKETS = (("≤ 1m", 60), ("≤ 5m", 300), ("≤ 15m", 900), ("≤ 1h", 3600), ("≤ 4h", 4 * 3600),
                       ("≤ 1d", 86400), ("> 1d", None))

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1340px;color:#111827;
background:#f9fafb}h1{font-size:22px;margin:0 0 4px}p.sub{color:#4b5563;margin:0 0 20px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(650px,1fr));gap:16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin-bottom:16px}
.kpi .n{font-size:24px;font-weight:600}.kpi .l{color:#4b5563;font-size:12px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;
text-align:right}th:first-child,td:first-child,table.keyed td:nth-child(2),table.keyed th:nth-child(2){text-align:left}th{background:#f3f4f6;font-weight:600}
svg.chart{max-width:100%;height:auto}svg .title{font-weight:600;font-size:14px;fill:#111827}
svg .tick{font-size:11px;fill:#4b5563}svg .value{font-size:11px;fill:#111827}svg .grid{stroke:#e5e7eb}
svg .empty{fill:#9ca3af;font-size:14px}
"""

# Run by the browser: counts the charts whose marks were laid out with a size (tests read it).
CHECK = """
document.addEventListener('DOMContentLoaded', function () {
  var drawn = 0;
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var marks = Array.prototype.filter.call(svg.querySelectorAll('.mark'), function (m) {
      var box = m.getBBox(); return box.width > 0 && box.height > 0; });
    svg.setAttribute('data-drawn-marks', String(marks.length));
    if (marks.length) drawn += 1;
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
});
"""


def render(f: Figures) -> str:
    title = f"accessbot report {f.period.since:%Y-%m-%d} → {f.period.until:%Y-%m-%d}"
    charts = "".join(f'<div class="card">{chart}</div>' for chart in _charts(f))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class=\"sub\">{f.period.since:%Y-%m-%d %H:%M} to "
            f"{f.period.until:%Y-%m-%d %H:%M} UTC; open items as of {f.as_of:%Y-%m-%d %H:%M} UTC. "
            "Computed from the accessbot ledger.</p>"
            f"{_kpis(f)}<div class=\"grid\">{charts}</div>{_tables(f)}"
            f"<script>{CHECK}</script></body></html>\n")


def _kpis(f: Figures) -> str:
    deprovision, provision = f.headline("time_to_deprovision"), f.headline("time_to_provision")
    open_orphans = sum(o.open for o in f.orphans)
    items = [(duration_text(deprovision.p90), "time to deprovision, p90"),
             (duration_text(provision.p50), "time to provision, p50"),
             (duration_text(f.headline("time_to_approve").p50), "time to approve, p50"),
             (str(open_orphans), "orphaned accounts open"),
             (percent(f.time_bound.get(ALL, {}).get("").ratio if f.time_bound.get(ALL) else None),
              "active grants time-bound"),
             (str(f.open_requests.count), "open requests"),
             (str(sum(f.failed_revocations.values())), "failed revocations open")]
    return '<div class="kpis">' + "".join(f'<div class="card kpi"><div class="n">{escape(n)}</div>'
                                          f'<div class="l">{escape(label)}</div></div>' for n, label in items) + "</div>"


def _charts(f: Figures) -> list[str]:
    counts = {label: 0 for label, _ in DEPROVISION_BUCKETS}
    for seconds in f.deprovision_seconds:
        counts[next(label for label, upper in DEPROVISION_BUCKETS if upper is None or seconds <= upper)] += 1
    weeks = sorted({week for per_week in f.provision_by_week.values() for week in per_week})
    series = {connector: [per_week[w].p50 if w in per_week else None for w in weeks]
              for connector, per_week in f.provision_by_week.items()}
    return [
        bars("chart-deprovision", "Time to deprovision (leavers per bucket)", list(counts), list(counts.values()),
             fmt=lambda v: f"{v:g}"),
        lines("chart-provision", "Time to provision per system, weekly p50", weeks, series, fmt=duration_text),
        bars("chart-orphans", "Orphaned accounts open, per system", [o.system for o in f.orphans],
             [o.open for o in f.orphans], fmt=lambda v: f"{v:g}", color="#dc2626"),
        bars("chart-open-requests", "Open requests by age", list(f.open_requests_by_age),
             list(f.open_requests_by_age.values()), fmt=lambda v: f"{v:g}", color="#d97706"),
    ]


def _tables(f: Figures) -> str:
    parts = ['<div class="card"><h2>Lifecycle times</h2><table><tr><th>Measure</th><th>Count</th><th>p50</th>'
             '<th>p90</th><th>Max</th></tr>']
    for metric in DURATION_METRICS:
        for dimension, groups in f.durations.get(metric, {}).items():
            for key, s in groups.items():
                label = TITLES[metric] if dimension == ALL else f"&nbsp;&nbsp;{escape(dimension)}: {escape(key or '(none)')}"
                parts.append(f"<tr><td>{label}</td><td>{s.count}</td><td>{duration_text(s.p50)}</td>"
                             f"<td>{duration_text(s.p90)}</td><td>{duration_text(s.max)}</td></tr>")
    parts.append("</table><h2>Orphaned accounts</h2><table><tr><th>System</th><th>Open</th><th>Accounts</th>"
                 "<th>Rate</th><th>Found</th><th>Fixed</th></tr>")
    parts += [f"<tr><td>{escape(o.system)}</td><td>{o.open}</td><td>{'–' if o.accounts is None else o.accounts}</td>"
              f"<td>{percent(o.rate)}</td><td>{o.found}</td><td>{o.fixed}</td></tr>" for o in f.orphans]
    parts.append("</table><h2>Active grants that are time-bound</h2><table class=\"keyed\"><tr><th>By</th><th>Key</th>"
                 "<th>Time-bound</th><th>Active</th><th>Share</th></tr>")
    for dimension, shares in f.time_bound.items():
        parts += [f"<tr><td>{escape(dimension)}</td><td>{escape(key)}</td><td>{s.part}</td><td>{s.total}</td>"
                  f"<td>{percent(s.ratio)}</td></tr>" for key, s in shares.items()]
    parts.append("</table></div>")
    return "".join(parts)
