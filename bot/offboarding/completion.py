"""An offboarding's status follows its steps the moment one settles.

The engine stores the status when a run ends (``engine.finish``); a step that settles later (IT
answers a manual task, an asynchronous target confirms, a background retry succeeds or gives up)
records its outcome in ``bot.ledger.outcomes``, which calls ``step_settled`` in the same
transaction, so the offboarding that was waiting on it finishes with it, not at the next resume.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.log import _jsonable
from bot.domain.enums import ActionStatus
from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.events import emit, happened
from bot.offboarding import prepare
from bot.offboarding import report as reports
from bot.offboarding.events import OffboardingEvent
from bot.offboarding.timers import OffboardingKind
from bot.store.models import Offboarding, ProvisioningAction

NOT_STARTED = (prepare.SCHEDULED, prepare.CANCELLED, prepare.UNCONFIRMED)
SETTLED_LATER = (prepare.WAITING, prepare.PARTIAL)  # a run ended with steps outstanding or failed
WAITING_RECHECK = timedelta(minutes=15)  # a target or an IT task is still working: look again then


def refresh(s: Session, ctx: Ctx, record: Offboarding) -> reports.OffboardReport:
    """Recompute the status of a locked, started offboarding from its rows, store the report, announce
    it when something changed, and come back later for whatever is still retrying."""
    before = (record.status, (record.report or {}).get("systems"))
    if record.status not in NOT_STARTED:
        record.status = reports.overall(reports.build(s, record))
        if record.status != prepare.DONE:
            record.finished_at = None
        elif record.finished_at is None:
            record.finished_at = ctx.now
    report = reports.build(s, record)
    data = report.as_dict()
    record.report = {**(record.report or {}), "systems": data["systems"], "totals": data["totals"]}
    if (record.status, _jsonable(data["systems"])) != before:  # a resume that changed nothing stays quiet
        happened(s, ctx, OffboardingEvent.FINISHED, subject_type="offboarding", subject_id=record.id,
                 person_email=report.person_email, detail=data)
        emit(s, ctx, OffboardingEvent.FINISHED, **data, channel=ctx.catalog.settings.it_channel)
    _schedule_resume(s, ctx, record)
    return report


def step_settled(s: Session, ctx: Ctx, offboarding_id: int) -> None:
    """A step of the offboarding just reached its outcome. While the engine runs it, the engine's own
    finish decides; after that, the status moves here when it changes (the last step done, failed,
    or a failed one retried successfully)."""
    # Read without an autoflush: flushing the batch's pending rows once per outcome was most of the
    # offboarding engine's recording time (profiled, 200 leavers, issue 17.4).
    statuses = _statuses(s, offboarding_id)
    if statuses.get(offboarding_id) not in SETTLED_LATER:
        return
    record = s.scalar(select(Offboarding).where(Offboarding.id == offboarding_id).with_for_update())
    if record.status in SETTLED_LATER and reports.overall(reports.build(s, record)) != record.status:
        refresh(s, ctx, record)
    statuses[offboarding_id] = record.status


_STATUSES = "offboarding.statuses"  # Session.info key: offboarding id -> status read in this transaction


def _statuses(s: Session, offboarding_id: int) -> dict[int, str]:
    """The statuses of the offboardings whose steps this transaction records, read once per transaction
    in one statement, not once per outcome: reading it per outcome was 62 of the 100 statements that
    recorded one leaver's 62 outcomes on PostgreSQL (issue 17.4). The runner loads a batch's rows before
    recording them, so their offboardings are known from the session; a status is read at most as early
    as the transaction's first outcome, and only this transaction's own ``refresh`` moves it after that
    (kept here)."""
    transaction, statuses = s.info.get(_STATUSES, (None, {}))
    if transaction is not s.get_transaction():  # a new transaction reads them again
        statuses = {}
        s.info[_STATUSES] = (s.get_transaction(), statuses)
    if offboarding_id not in statuses:
        ids = {offboarding_id} | {obj.offboarding_id for obj in list(s.identity_map.values())
                                  if isinstance(obj, ProvisioningAction) and obj.offboarding_id is not None}
        ids -= statuses.keys()
        with s.no_autoflush:
            statuses.update(s.execute(select(Offboarding.id, Offboarding.status).where(Offboarding.id.in_(ids))).all())
        statuses.update((i, None) for i in ids - statuses.keys())  # gone: nothing to move
    return statuses


def _schedule_resume(s: Session, ctx: Ctx, record: Offboarding) -> None:
    """Retries the runner scheduled (backoff) are also picked up by the sweep; this job makes sure
    the report and the Slack message follow them."""
    retry_at = s.scalar(select(ProvisioningAction.next_attempt_at).where(
        ProvisioningAction.offboarding_id == record.id,
        ProvisioningAction.status == ActionStatus.FAILED_RETRYABLE).order_by(ProvisioningAction.next_attempt_at))
    if retry_at is None and record.status != prepare.WAITING:
        due.cancel(s, OffboardingKind.OFFBOARDING_RESUME, record.id)
        return
    at = retry_at if retry_at is not None else ctx.now + WAITING_RECHECK
    due.schedule(s, OffboardingKind.OFFBOARDING_RESUME, record.id, max(at, ctx.now), now=ctx.now)
