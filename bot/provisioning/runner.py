"""Run queued connector calls.

Each action is claimed in its own short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
replicas never run the same call; a lease lets another replica take over from one that died),
the connector is called outside any transaction, and the outcome is recorded in a second one.
Calls for the same grant run in order (a revoke never overtakes its grant).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from bot.directory import service as directory
from bot.domain.clock import Clock
from bot.domain.enums import ActionKind, ActionStatus, Trigger
from bot.offboarding import reactivation
from bot.provisioning import outcomes
from bot.store.db import Store
from bot.store.models import Person, ProvisioningAction
from bot.workflow.context import Actor, Ctx
from connectors.base import ActionResult, Connector, Outcome, Target
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

RUNNABLE = (ActionStatus.QUEUED, ActionStatus.FAILED_RETRYABLE)
UNFINISHED = (ActionStatus.QUEUED, ActionStatus.IN_PROGRESS, ActionStatus.PENDING_EXTERNAL,
              ActionStatus.FAILED_RETRYABLE)
LEASE = timedelta(minutes=5)
ACTOR = Actor.system("provisioning", Trigger.SYSTEM)


class ProvisioningRunner:
    def __init__(self, store: Store, connectors: Mapping[str, Connector], clock: Clock,
                 catalog: Callable[[], object], *, replica_id: str | None = None, threads: int = 8):
        self.store = store
        self.connectors = connectors
        self.clock = clock
        self.catalog = catalog
        self.replica_id = replica_id or f"replica-{uuid.uuid4().hex[:8]}"
        self.threads = threads

    def ctx(self) -> Ctx:
        return Ctx(self.catalog(), self.clock.now(), ACTOR)

    # -- claiming ----------------------------------------------------------------------------
    def claim(self, limit: int = 100, only: str | None = None) -> list[str]:
        now = self.clock.now()
        with self.store.uow() as s:
            earlier = aliased(ProvisioningAction)
            same_grant = and_(earlier.grant_id == ProvisioningAction.grant_id, earlier.grant_id.is_not(None),
                              earlier.created_at < ProvisioningAction.created_at)
            # A re-hire's reactivation never overtakes the suspend of the same account it undoes
            # (queued in the same instant, or long before).
            undoes_suspend = and_(ProvisioningAction.action == ActionKind.REACTIVATE,
                                  earlier.action == ActionKind.SUSPEND,
                                  earlier.person_id == ProvisioningAction.person_id,
                                  earlier.connector == ProvisioningAction.connector,
                                  earlier.created_at <= ProvisioningAction.created_at)
            blocked = select(earlier.id).where(or_(same_grant, undoes_suspend), earlier.status.in_(UNFINISHED)).exists()
            due = or_(and_(ProvisioningAction.status.in_(RUNNABLE), ProvisioningAction.next_attempt_at <= now),
                      and_(ProvisioningAction.status == ActionStatus.IN_PROGRESS,
                           ProvisioningAction.lease_until < now))
            query = select(ProvisioningAction).where(due, ~blocked)
            if only:
                query = query.where(ProvisioningAction.id == only)
            else:
                # An offboarding's calls are run by the offboarding engine, which orders them,
                # bounds them per system and keeps the report in step; never twice at once.
                query = query.where(ProvisioningAction.offboarding_id.is_(None))
            query = query.order_by(ProvisioningAction.created_at).limit(limit)
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=ProvisioningAction)
            rows = s.scalars(query).all()
            for row in rows:
                row.status = ActionStatus.IN_PROGRESS
                row.attempts += 1
                row.started_at = now
                row.lease_until = now + LEASE
            return [row.id for row in rows]

    def run_due(self, limit: int = 100) -> int:
        """Claim and run everything due now; returns how many actions ran."""
        total = 0
        while True:
            ids = self.claim(limit)
            if not ids:
                return total
            if len(ids) == 1 or self.threads <= 1:
                for action_id in ids:
                    self.execute(action_id)
            else:
                with ThreadPoolExecutor(max_workers=min(self.threads, len(ids))) as pool:
                    list(pool.map(self.execute, ids))
            total += len(ids)

    def poll(self, action_id: str) -> None:
        """Follow up an action that the target said is still in progress."""
        with self.store.uow() as s:
            action = s.get(ProvisioningAction, action_id)
            if action is None or action.status != ActionStatus.PENDING_EXTERNAL:
                return
        self.execute(action_id, polling=True)

    # -- one call ----------------------------------------------------------------------------
    def execute(self, action_id: str, *, polling: bool = False) -> None:
        with self.store.uow() as s:
            action = s.get(ProvisioningAction, action_id)
            person = s.get(Person, action.person_id)
            subject = directory.subject(person)
            kind, connector_name, target_ref = action.action, action.connector, action.target
            pending_ref = action.target_ref
            target = Target(ref=target_ref, options=self._target_options(action.entitlement),
                            entitlement=action.entitlement)
            hold = reactivation.verdict(s, action) if kind == ActionKind.REACTIVATE else None
        started = time.monotonic()
        if hold is not None:
            self._hold(action_id, hold)
            return
        try:
            connector = self.connectors[connector_name]
            principal = connector.resolve(subject)
            if polling:
                result = connector.poll(principal, target, ActionResult(Outcome.PENDING, target_ref=pending_ref))
            else:
                result = self._call(connector, kind, principal, target, action_id)
        except ConnectorError as error:
            self._record(action_id, started, error=error)
            return
        self._record(action_id, started, result=result, connector=connector)

    @staticmethod
    def _call(connector: Connector, kind: str, principal, target: Target, action_id: str) -> ActionResult:
        if kind == ActionKind.GRANT:
            return connector.grant(principal, target, action_id=action_id)
        if kind == ActionKind.REVOKE:
            return connector.revoke(principal, target, action_id=action_id)
        if kind == ActionKind.SUSPEND:
            return connector.suspend(principal, action_id=action_id)
        if kind == ActionKind.END_SESSIONS:
            return connector.end_sessions(principal, action_id=action_id)
        if kind == ActionKind.REACTIVATE:
            return connector.reactivate(principal, action_id=action_id)
        raise ValueError(f"unknown action kind {kind}")

    def _hold(self, action_id: str, hold: reactivation.Skip | reactivation.Wait) -> None:
        """A reactivation with nothing to undo is skipped; one whose suspend is still running waits."""
        with self.store.uow() as s:
            action = s.get(ProvisioningAction, action_id)
            if isinstance(hold, reactivation.Skip):
                outcomes.skipped(s, self.ctx(), action, reason=hold.reason)
            else:
                outcomes.failed(s, self.ctx(), action, error_kind="transient", detail=hold.reason, retryable=True)

    def _record(self, action_id: str, started: float, *, result: ActionResult | None = None,
                error: ConnectorError | None = None, connector: Connector | None = None) -> None:
        with self.store.uow() as s:
            action = s.get(ProvisioningAction, action_id)
            action.duration_ms = int((time.monotonic() - started) * 1000)
            ctx = self.ctx()
            if error is not None:
                log.warning("provisioning %s %s on %s failed: %s", action.action, action.entitlement,
                            action.connector, error.detail)
                outcomes.failed(s, ctx, action, error_kind=error.kind, detail=error.detail,
                                retryable=error.retryable, http_status=error.http_status,
                                retry_after=getattr(error, "retry_after", None))
            elif result.outcome == Outcome.PENDING:
                self._pending(s, ctx, action, result, connector)
            else:
                action.target_ref = result.target_ref or action.target_ref
                action.last_http_status = result.http_status
                outcomes.succeeded(s, ctx, action, already=result.outcome == Outcome.ALREADY,
                                   detail=result.detail or "")

    @staticmethod
    def _pending(s: Session, ctx: Ctx, action, result: ActionResult, connector: Connector) -> None:
        if connector.capabilities.manual:
            outcomes.pending(s, ctx, action, target_ref=result.target_ref, detail=result.detail or "",
                             manual_channel=connector.task_channel, repost_after=connector.repost_after)
        else:
            outcomes.pending(s, ctx, action, target_ref=result.target_ref, detail=result.detail or "",
                             poll_after=timedelta(seconds=min(30 * action.attempts, 300)))

    def _target_options(self, ref: str) -> dict:
        try:
            return dict(self.catalog().entitlement(ref).target_options)
        except KeyError:
            return {}

