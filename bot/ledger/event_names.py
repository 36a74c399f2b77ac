"""Domain event names of the ledger core (stored as audit actions and outbox types: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.events import EventName


class GrantEvent(EventName):
    """A grant's life in the ledger, from creation to its end."""

    ACTIVATED = "grant.activated"
    CANCELLED = "grant.cancelled"
    CREATED = "grant.created"
    ENDING = "grant.ending"
    EXPIRED = "grant.expired"
    EXPIRING = "grant.expiring"
    EXPIRY_WARNED = "grant.expiry_warned"
    EXTENDED = "grant.extended"
    FAILED = "grant.failed"
    POLICY_REVOKE_CANCELLED = "grant.policy_revoke_cancelled"
    PUSHED = "grant.pushed"
    REVOKE_FAILED = "grant.revoke_failed"
    REVOKED = "grant.revoked"


class ProvisioningEvent(EventName):
    """One connector call's outcome: ``provisioning.<action kind>.<outcome>``."""

    END_SESSIONS_DONE = "provisioning.end_sessions.done"
    END_SESSIONS_FAILED = "provisioning.end_sessions.failed"
    END_SESSIONS_PENDING = "provisioning.end_sessions.pending"
    END_SESSIONS_SKIPPED = "provisioning.end_sessions.skipped"
    GRANT_DONE = "provisioning.grant.done"
    GRANT_FAILED = "provisioning.grant.failed"
    GRANT_PENDING = "provisioning.grant.pending"
    GRANT_SKIPPED = "provisioning.grant.skipped"
    REACTIVATE_DONE = "provisioning.reactivate.done"
    REACTIVATE_FAILED = "provisioning.reactivate.failed"
    REACTIVATE_PENDING = "provisioning.reactivate.pending"
    REACTIVATE_SKIPPED = "provisioning.reactivate.skipped"
    RETRY_REQUESTED = "provisioning.retry_requested"
    REVOKE_DONE = "provisioning.revoke.done"
    REVOKE_FAILED = "provisioning.revoke.failed"
    REVOKE_PENDING = "provisioning.revoke.pending"
    REVOKE_SKIPPED = "provisioning.revoke.skipped"
    SUSPEND_DONE = "provisioning.suspend.done"
    SUSPEND_FAILED = "provisioning.suspend.failed"
    SUSPEND_PENDING = "provisioning.suspend.pending"
    SUSPEND_SKIPPED = "provisioning.suspend.skipped"

    @classmethod
    def of(cls, kind: str, outcome: str) -> ProvisioningEvent:
        """``kind``: an ActionKind; ``outcome``: done, skipped, pending or failed."""
        return cls(f"provisioning.{kind}.{outcome}")


class RequestEvent(EventName):
    """A request's life: submitted, each step, the outcome, reminders and re-routing."""

    ADMIN_PUSHED = "request.admin_pushed"
    APPROVED = "request.approved"
    CANCELLED = "request.cancelled"
    DENIED = "request.denied"
    ESCALATED = "request.escalated"
    ESCALATION_FAILED = "request.escalation_failed"
    REMINDED = "request.reminded"
    REMINDER = "request.reminder"
    REROUTE_FAILED = "request.reroute_failed"
    REROUTED = "request.rerouted"
    STEP_ACTIVATED = "request.step_activated"
    STEP_APPROVED = "request.step_approved"
    STEP_DENIED = "request.step_denied"
    SUBMITTED = "request.submitted"
    SUPERSEDED = "request.superseded"
    TIMED_OUT = "request.timed_out"

    @classmethod
    def for_status(cls, status: str) -> RequestEvent:
        """The event of a request reaching ``status`` (a RequestStatus); ValueError if there is none."""
        return cls(f"request.{status}")


class TaskEvent(EventName):
    """Manual provisioning tasks handed to IT."""

    CANNOT = "manual_task.cannot"
    DONE = "manual_task.done"
    ESCALATED = "manual_task.escalated"
    OPENED = "manual_task.opened"
    REPOSTED = "manual_task.reposted"


class TimerEvent(EventName):
    """A due action that could not run."""

    FAILED = "timer.failed"
