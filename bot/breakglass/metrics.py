"""``accessbot_break_glass_uses_total``: a Prometheus counter read from the ledger at scrape time, so every
web and worker replica reports the same truth (an in-process counter would count one replica's uses)."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily
from sqlalchemy import func, select

from bot.store.models import BreakGlassUse


class BreakGlassCollector:
    def __init__(self, store):
        self.store = store

    def describe(self):
        return [CounterMetricFamily("accessbot_break_glass_uses", "Break-glass uses, by entitlement and review",
                                    labels=["entitlement", "review"])]

    def collect(self):
        family = CounterMetricFamily("accessbot_break_glass_uses", "Break-glass uses, by entitlement and review",
                                     labels=["entitlement", "review"])
        with self.store.uow() as s:
            rows = s.execute(select(BreakGlassUse.entitlement, BreakGlassUse.verdict, func.count())
                             .group_by(BreakGlassUse.entitlement, BreakGlassUse.verdict)).all()
        for entitlement, verdict, count in rows:
            family.add_metric([entitlement, verdict or "pending"], count)
        yield family
