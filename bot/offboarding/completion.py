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
    # Without an autoflush: this runs for every outcome, and flushing the batch's pending rows once
    # per outcome was most of the offboarding engine's recording time (profiled, 200 leavers, issue
    # 17.4). Only this transaction's own refresh can have moved the status (away from SETTLED_LATER),
    # and then the locked re-read below sees it.
    with s.no_autoflush:
        status = s.scalar(select(Offboarding.status).where(Offboarding.id == offboarding_id))
    if status not in SETTLED_LATER:
        return
    record = s.scalar(select(Offboarding).where(Offboarding.id == offboarding_id).with_for_update())
    if record.status in SETTLED_LATER and reports.overall(reports.build(s, record)) != record.status:
        refresh(s, ctx, record)


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
