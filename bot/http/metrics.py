"""Prometheus metrics. A registry per app (no process globals), so tests and replicas stay apart."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select

from bot.breakglass.metrics import BreakGlassCollector
from bot.domain.enums import LIVE_GRANT_STATUSES, ActionStatus, GrantStatus, RequestStatus
from bot.provisioning.runner import ProvisioningRunner
from bot.reporting.prometheus import LedgerGauges, watch_runner
from bot.store.models import AccessRequest, Grant, ProvisioningAction


COUNTED_GRANTS = (GrantStatus.SCHEDULED, *LIVE_GRANT_STATUSES)
COUNTED_ACTIONS = (ActionStatus.QUEUED, ActionStatus.IN_PROGRESS, ActionStatus.PENDING_EXTERNAL,
                   ActionStatus.FAILED_RETRYABLE, ActionStatus.FAILED_PERMANENT)


def process_registry() -> CollectorRegistry:
    """A registry of our own with the process (CPU, memory, open files), Python platform and garbage
    collector metrics prometheus_client collects: each process (web, worker) reports its own."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


def revoke_lateness_histogram(registry: CollectorRegistry) -> Histogram:
    """Observed by whichever process runs the provisioning runner (the web app in one process,
    the worker when `accessbot serve` splits them)."""
    return Histogram(
        "accessbot_revoke_lateness_seconds",
        "For a grant revoked because it expired: seconds from its end to the target confirming the removal",
        registry=registry, buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600))


class Metrics:
    def __init__(self, store):
        self.store = store
        self.registry = process_registry()
        self.slack_ack_seconds = Histogram(
            "accessbot_slack_ack_seconds", "Time from receiving a Slack request to answering it",
            ["kind"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5))
        self.refusals = Counter("accessbot_refusals_total", "Refused operations", ["operation", "code"],
                                registry=self.registry)
        self.revoke_lateness = revoke_lateness_histogram(self.registry)
        self.registry.register(BreakGlassCollector(store))
        self._grants = Gauge("accessbot_grants", "Grants by status", ["status"], registry=self.registry)
        self._requests = Gauge("accessbot_pending_requests", "Requests waiting for approval", registry=self.registry)
        self._actions = Gauge("accessbot_provisioning_actions", "Provisioning actions not finished, by status",
                              ["status"], registry=self.registry)
        self.registry.register(LedgerGauges(store))

    def watch(self, runner: ProvisioningRunner) -> Callable[[], None]:
        """Observe the lateness of every expiry's revoke, the connector calls and the lifecycle
        durations the runner records; returns the undo."""
        observe = self.revoke_lateness.observe
        runner.revoke_lateness_observers.append(observe)
        unwatch = watch_runner(self.registry, runner, self.store)

        def undo() -> None:
            runner.revoke_lateness_observers.remove(observe)
            unwatch()
        return undo

    def render(self) -> bytes:
        self._refresh_from_database()
        return generate_latest(self.registry)

    def _refresh_from_database(self) -> None:
        # Gauges read the ledger at scrape time: the database is the truth, not in-process counters.
        # Only statuses a grant passes through are counted (by the status index): ended grants
        # pile up for ever and counting them would scan the table at every scrape.
        with self.store.uow() as s:
            by_status = dict(s.execute(select(Grant.status, func.count()).where(Grant.status.in_(COUNTED_GRANTS))
                                       .group_by(Grant.status)).all())
            for status in COUNTED_GRANTS:
                self._grants.labels(status.value).set(by_status.get(status.value, 0))
            self._requests.set(s.scalar(select(func.count()).select_from(AccessRequest)
                                        .where(AccessRequest.status == RequestStatus.PENDING)) or 0)
            actions = dict(s.execute(select(ProvisioningAction.status, func.count())
                                     .where(ProvisioningAction.status.in_(COUNTED_ACTIONS))
                                     .group_by(ProvisioningAction.status)).all())
            for status in COUNTED_ACTIONS:
                self._actions.labels(status.value).set(actions.get(status.value, 0))
