"""Take in an HR event: one transaction with its replay key, then the work it started.

A refusal (identity conflict, unknown manager...) rolls everything back, is audited, and is
raised for the front end: the event can be re-sent once the directory is fixed, because its
delivery key is only kept when it was applied.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.domain.enums import Trigger
from bot.domain.errors import DomainError
from bot.ledger.context import Actor
from bot.lifecycle import apply
from bot.lifecycle.events import HrEvent, from_hr
from bot.offboarding import engine
from bot.operations import record_refusal
from bot.store.models import DeliveryKey

HR_ACTOR = Actor.system("hr", Trigger.HR)


def receive_hr(deps, event: HrEvent) -> apply.Applied:
    ctx = deps.ctx(HR_ACTOR)
    key = f"hr:{event.event_id}"
    try:
        with deps.store.uow() as s:
            if s.get(DeliveryKey, key) is not None:
                return apply.Applied(f"hr:{event.event_id}", "duplicate", event.person.email,
                                     notes=["this event id was already received"])
            s.add(DeliveryKey(key=key, seen_at=ctx.now, note=f"{event.type} {event.person.email}"))
            result = apply.receive(s, ctx, from_hr(event))
    except IntegrityError:
        # The same event delivered twice at once: the other delivery applied it.
        return apply.Applied(f"hr:{event.event_id}", "duplicate", event.person.email,
                             notes=["delivered twice at once; applied once"])
    except DomainError as error:
        record_refusal(deps, ctx, f"hr.{event.type}", error, ("hr_event", event.event_id))
        raise
    engine.drive_later(deps, result.offboarding_ids)
    deps.kick()
    return result
