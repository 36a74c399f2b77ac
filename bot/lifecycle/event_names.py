"""Domain event names of the lifecycle (stored as audit actions and outbox types: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.events import EventName


class LifecycleEventName(EventName):
    """HR/IdP lifecycle events applied, scheduled, rejected; re-hires and birthright access."""

    BIRTHRIGHT_SKIPPED = "birthright.skipped"
    ACCESS_ENDING = "lifecycle.access_ending"
    JOINER = "lifecycle.joiner"
    LEAVER = "lifecycle.leaver"
    MOVER = "lifecycle.mover"
    REACTIVATION_DROPPED = "lifecycle.reactivation_dropped"
    REACTIVATION_SCHEDULED = "lifecycle.reactivation_scheduled"
    REHIRE_KEPT_OFFBOARDING = "lifecycle.rehire_kept_offboarding"
    REHIRED = "lifecycle.rehired"
    REJECTED = "lifecycle.rejected"
    SCHEDULED = "lifecycle.scheduled"
