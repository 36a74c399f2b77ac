"""Offboarding: plan, per-system lanes, four-eyes, report; and the reactivation a re-hire queues."""

from __future__ import annotations

from bot.domain.enums import ActionKind
from bot.ledger.registry import Feature, Settled, WaitsFor, by_ref
from bot.offboarding import completion, jobs, reactivation
from bot.offboarding.events import OffboardingEvent, ReactivationEvent
from bot.offboarding.timers import OffboardingKind


def _step_settled(s, ctx, action, settled: Settled) -> None:
    """The offboarding a call belongs to finishes with its last step, not at its next resume."""
    if action.offboarding_id is not None:
        completion.step_settled(s, ctx, action.offboarding_id)


FEATURE = Feature(
    name="offboarding",
    timer_kinds=(OffboardingKind,),
    events=(OffboardingEvent, ReactivationEvent),
    connector_work={kind: by_ref(handler) for kind, handler in jobs.HANDLERS.items()},
    preconditions={ActionKind.REACTIVATE: reactivation.verdict},
    # A re-hire's reactivation never overtakes the suspend of the same account it undoes
    # (queued in the same instant, or long before).
    claim_order=(WaitsFor(later=ActionKind.REACTIVATE, earlier=ActionKind.SUSPEND),),
    on_action_settled=(_step_settled, reactivation.tell_failed),
    slack="bot.slack.surfaces.offboarding",
)
