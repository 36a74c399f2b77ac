"""Prometheus metrics for the lifecycle: per-connector calls, lifecycle durations observed as they
happen, and ledger gauges read at scrape time with indexed queries only.

Labels are bounded: connector instance names (configured), action kinds, outcomes, error kinds.
Never a person, a request or a grant id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from bot.domain.enums import ActionKind, GrantStatus, RequestStatus
from bot.provisioning.runner import UNFINISHED, ConnectorCallRecord, ProvisioningRunner
from bot.reporting.figures import _deprovision_start, _leaver_events
from bot.store.db import Store
from bot.store.models import AccessRequest, Grant, Offboarding, OrphanFinding, ProvisioningAction, ReconcileRun

log = logging.getLogger(__name__)

CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LIFECYCLE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400)


class ConnectorCallMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.calls = Counter("accessbot_connector_calls_total", "Calls to connector instances, by outcome "
                             "(ok, already, pending, error)", ["connector", "action", "outcome"], registry=registry)
        self.errors = Counter("accessbot_connector_errors_total", "Connector calls that failed, by error kind",
                              ["connector", "action", "kind"], registry=registry)
        self.duration = Histogram("accessbot_connector_call_duration_seconds", "Time a connector call took",
                                  ["connector", "action"], registry=registry, buckets=CALL_BUCKETS)

    def observe(self, call: ConnectorCallRecord) -> None:
        self.calls.labels(call.connector, call.action, call.outcome).inc()
        if call.error_kind is not None:
            self.errors.labels(call.connector, call.action, call.error_kind).inc()
        self.duration.labels(call.connector, call.action).observe(call.seconds)


class LifecycleHistograms:
    """Observed when the runner records a success that completes something: a requested grant
    becoming active (time to approve and to provision), an offboarding's last system confirming."""

    def __init__(self, registry: CollectorRegistry, store: Store):
        self.store = store
        self.approve = Histogram("accessbot_time_to_approve_seconds", "Request submitted to approved (approved by "
                                 "people), observed when its grant becomes active", registry=registry,
                                 buckets=LIFECYCLE_BUCKETS)
        self.provision = Histogram("accessbot_time_to_provision_seconds", "Request submitted to grant active",
                                   ["connector"], registry=registry, buckets=LIFECYCLE_BUCKETS)
        self.deprovision = Histogram("accessbot_time_to_deprovision_seconds", "Leaver event (or offboarding "
                                     "confirmation) to the last system confirming removal", registry=registry,
                                     buckets=LIFECYCLE_BUCKETS)

    def settled(self, action_ids: list[str]) -> None:
        try:
            self._observe(action_ids)
        except Exception:  # metrics never stop provisioning; the report reads the ledger anyway
            log.warning("could not observe lifecycle durations", exc_info=True)

    def _observe(self, action_ids: list[str]) -> None:
        with self.store.uow() as s:
            actions = s.execute(select(ProvisioningAction.action, ProvisioningAction.grant_id,
                                       ProvisioningAction.offboarding_id)
                                .where(ProvisioningAction.id.in_(action_ids))).all()
            grant_ids = {g for kind, g, o in actions if kind == ActionKind.GRANT and g is not None and o is None}
            if grant_ids:
                for connector, activated, created, starts, decided, auto in s.execute(
                        select(Grant.connector, Grant.activated_at, AccessRequest.created_at, AccessRequest.starts_at,
                               AccessRequest.decided_at, AccessRequest.auto_approved)
                        .join(AccessRequest, AccessRequest.id == Grant.request_id)
                        .where(Grant.id.in_(grant_ids), Grant.status == GrantStatus.ACTIVE)):
                    asked = starts if starts is not None and starts > created else created
                    self.provision.labels(connector).observe(max(0.0, (activated - asked).total_seconds()))
                    if not auto and decided is not None:
                        self.approve.observe(max(0.0, (decided - created).total_seconds()))
            for offboarding_id in sorted({o for _, _, o in actions if o is not None}):
                self._offboarding(s, offboarding_id)

    def _offboarding(self, s, offboarding_id: int) -> None:
        left = s.scalar(select(func.count()).select_from(ProvisioningAction).where(
            ProvisioningAction.offboarding_id == offboarding_id, ProvisioningAction.status.in_(UNFINISHED)))
        if left:
            return
        record = s.get(Offboarding, offboarding_id)
        last = s.scalar(select(func.max(ProvisioningAction.finished_at)).where(
            ProvisioningAction.offboarding_id == offboarding_id))
        if record is None or record.started_at is None or last is None:
            return
        began = _deprovision_start(record.started_at, record.trigger,
                                   _leaver_events(s, {record.person_id}).get(record.person_id, []))
        self.deprovision.observe(max(0.0, (last - began).total_seconds()))


def watch_runner(registry: CollectorRegistry, runner: ProvisioningRunner, store: Store) -> Callable[[], None]:
    """Observe the runner's connector calls and completions on ``registry``; returns the undo."""
    calls, lifecycle = ConnectorCallMetrics(registry), LifecycleHistograms(registry, store)
    runner.connector_call_observers.append(calls.observe)
    runner.settled_observers.append(lifecycle.settled)

    def undo() -> None:
        runner.connector_call_observers.remove(calls.observe)
        runner.settled_observers.remove(lifecycle.settled)
    return undo


class LedgerGauges:
    """Read at scrape time, each by an index: pending requests (status), active and revoke-failed
    grants (status, ends_at), open orphan findings (fixed_at, system), the latest reconcile runs."""

    def __init__(self, store: Store):
        self.store = store

    def describe(self):
        return []  # collected at scrape time only: the registry need not call collect() on register

    def collect(self):
        oldest = GaugeMetricFamily("accessbot_open_request_oldest_created_timestamp_seconds",
                                   "When the oldest request still waiting for approval was submitted (Unix time; "
                                   "0 when none wait): its age is time() minus this")
        active = GaugeMetricFamily("accessbot_active_grants", "Active grants, by whether they end by themselves",
                                   labels=["time_bound"])
        failed = GaugeMetricFamily("accessbot_failed_revocations_open", "Grants whose removal failed and is "
                                   "still open (the access may still be held)", labels=["connector"])
        orphans = GaugeMetricFamily("accessbot_orphaned_accounts", "Orphaned accounts found by reconcile and not "
                                    "fixed yet (each counted once)", labels=["system"])
        accounts = GaugeMetricFamily("accessbot_reconciled_accounts", "Memberships the latest reconcile run of a "
                                     "system listed (the base of the orphan rate)", labels=["system"])
        with self.store.uow() as s:
            first = s.scalar(select(func.min(AccessRequest.created_at)).where(
                AccessRequest.status == RequestStatus.PENDING))
            oldest.add_metric([], first.timestamp() if first else 0.0)
            total, bound = s.execute(select(func.count(), func.count(Grant.ends_at)).where(
                Grant.status == GrantStatus.ACTIVE)).one()
            active.add_metric(["true"], bound)
            active.add_metric(["false"], total - bound)
            for connector, count in s.execute(select(Grant.connector, func.count()).where(
                    Grant.status == GrantStatus.REVOKE_FAILED).group_by(Grant.connector).order_by(Grant.connector)):
                failed.add_metric([connector], count)
            for system, count in s.execute(select(OrphanFinding.system, func.count()).where(
                    OrphanFinding.fixed_at.is_(None)).group_by(OrphanFinding.system).order_by(OrphanFinding.system)):
                orphans.add_metric([system], count)
            newest = s.scalar(select(func.max(ReconcileRun.at)))
            if newest is not None:
                # A run covers every system at once: the last day of runs holds each system's latest.
                recent = s.execute(select(ReconcileRun.system, ReconcileRun.accounts).where(
                    ReconcileRun.not_checked.is_(None), ReconcileRun.at >= newest - timedelta(days=1))
                    .order_by(ReconcileRun.system, ReconcileRun.at)).all()
                for system, count in dict(recent).items():
                    accounts.add_metric([system], count)
        return [oldest, active, failed, orphans, accounts]
