"""Timer entry points for the offboarding's due actions (bot.offboarding.timers). Stable: ids only.

Each handler re-reads the database and does nothing if the world moved on (the offboarding was
cancelled or already started).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.domain.enums import Trigger
from bot.ledger.context import Actor
from bot.offboarding import engine, prepare
from bot.offboarding.timers import OffboardingKind
from bot.store.models import Offboarding, Person

log = logging.getLogger(__name__)
TIMER = Actor.system("timer", Trigger.TIMER)


def offboard_scheduled(deps, ref_id: str, payload: dict[str, Any]) -> None:
    """``person.offboard``: a scheduled leave date (IT, HR leaver, contract end) has come."""
    ctx = deps.ctx(TIMER)
    with deps.store.uow() as s:
        # Locked (the person first, as every offboarding change does): an IT admin cancelling it at this
        # moment either wins (we see "cancelled") or is refused ("already started").
        person = s.get(Person, int(ref_id), with_for_update=True)
        record = (s.get(Offboarding, payload["offboarding_id"], with_for_update=True)
                  if payload.get("offboarding_id") else None)
        if person is None or (record is not None and record.status != prepare.SCHEDULED):
            log.info("scheduled offboarding of person %s no longer pending; nothing to do", ref_id)
            return
        reason = record.reason if record is not None else "scheduled offboarding"
        record_id = prepare.start(s, ctx, person=person, reason=reason, source="timer").id
    engine.drive(deps, [record_id])


def resume_offboarding(deps, ref_id: str, payload: dict[str, Any]) -> None:
    """``offboarding.resume``: retry what failed and refresh the report and its Slack message."""
    settle = engine.SETTLE_SECONDS if payload.get(engine.FIRST_DRIVE) else 0
    engine.resume(deps, int(ref_id), settle_seconds=settle)


HANDLERS = {
    OffboardingKind.OFFBOARD: offboard_scheduled,
    OffboardingKind.OFFBOARDING_RESUME: resume_offboarding,
}
