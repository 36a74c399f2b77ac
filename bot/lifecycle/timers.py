"""The lifecycle's due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.due import TimerKind


class LifecycleKind(TimerKind):
    POLICY_REVOKE = "grant.policy_revoke"  # ref: grant id; a mover's grace period ended
    LIFECYCLE_APPLY = "lifecycle.apply"  # ref: lifecycle event id; an HR change dated in the future
    REACTIVATE = "person.reactivate"  # ref: person id; payload: offboarding_id; a re-hire's start date
