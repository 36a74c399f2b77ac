"""Usage in Prometheus, read from the ledger at scrape time (every replica reports the same truth):
seats per entitlement by state (the figures of ``accessbot report licenses``), the potential monthly
saving, the seats reclaimed so far, and when each target's last pass completed (alert on stale usage).

Labels are bounded by the catalog and the connectors file: resource, entitlement, state, currency,
connector; never a person. The seat figures read every held grant with a license or an inactivity
policy and their targets' ledger rows, so they are cached for ``CACHE_SECONDS`` (usage changes once
per collection pass, not per scrape)."""

from __future__ import annotations

import threading
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from bot.store.models import UsageAsk, UsageCollection
from bot.usage import report as licenses
from bot.usage.timers import stale_after

CACHE_SECONDS = 60.0
STATES = ("active", "inactive", "unknown")


class UsageCollector:
    def __init__(self, deps):
        self.deps = deps  # read at scrape time: the catalog may be reloaded
        self._lock = threading.Lock()
        self._cached: tuple[float, list] | None = None

    def describe(self):
        return []  # collected at scrape time only

    def collect(self):
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > CACHE_SECONDS:
                self._cached = (time.monotonic(), self._families())
            return list(self._cached[1])

    def _families(self) -> list:
        seats = GaugeMetricFamily("accessbot_usage_seats", "Seats held per entitlement with a license or an "
                                  "inactivity policy, by usage state (unknown: the target cannot tell, or its "
                                  "data is stale)", labels=["resource", "entitlement", "state"])
        potential = GaugeMetricFamily("accessbot_usage_potential_monthly_savings", "Inactive seats times their "
                                      "monthly cost, known usage only (currency units)", labels=["currency"])
        reclaimed = CounterMetricFamily("accessbot_usage_reclaimed_seats", "Seats released because they were not "
                                        "used (answer or deadline), since the start", labels=["entitlement"])
        saved = CounterMetricFamily("accessbot_usage_reclaimed_monthly_savings", "Monthly cost of the seats "
                                    "released, since the start (currency units)", labels=["currency"])
        passes = GaugeMetricFamily("accessbot_usage_last_complete_collection_timestamp_seconds", "When the last "
                                   "complete pass of a target's last activity ended (Unix time)", labels=["connector"])
        deps = self.deps
        now = deps.clock.now()
        with deps.store.uow() as s:
            report = licenses.build(s, deps.catalog, now, now, now, stale_after=stale_after(deps.settings))
            released = s.execute(select(UsageAsk.entitlement, UsageAsk.currency, func.count(),
                                        func.coalesce(func.sum(UsageAsk.cost_cents), 0))
                                 .where(UsageAsk.status == "released")
                                 .group_by(UsageAsk.entitlement, UsageAsk.currency)).all()
            completed = s.execute(select(UsageCollection.connector, UsageCollection.last_complete_at).where(
                UsageCollection.last_complete_at.is_not(None)).order_by(UsageCollection.connector)).all()
        for row in report.rows:
            for state in STATES:
                seats.add_metric([row.entitlement.split(":", 1)[0], row.entitlement, state], getattr(row, state))
        for currency, cents in sorted(report.potential().items()):
            potential.add_metric([currency], cents / 100)
        by_entitlement: dict[str, int] = {}
        by_currency: dict[str, int] = {}
        for entitlement, currency, count, cents in released:
            by_entitlement[entitlement] = by_entitlement.get(entitlement, 0) + count
            if currency:
                by_currency[currency] = by_currency.get(currency, 0) + cents
        for entitlement, count in sorted(by_entitlement.items()):
            reclaimed.add_metric([entitlement], count)
        for currency, cents in sorted(by_currency.items()):
            saved.add_metric([currency], cents / 100)
        for connector, at in completed:
            passes.add_metric([connector], at.timestamp())
        return [seats, potential, reclaimed, saved, passes]
