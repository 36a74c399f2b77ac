from enum import StrEnum


class RequestStatus(StrEnum):
    PENDING = "pending"  # waiting for approvals
    APPROVED = "approved"  # approved; a grant exists for it
    DENIED = "denied"
    CANCELLED = "cancelled"  # by the requester, or by offboarding
    TIMED_OUT = "timed_out"  # nobody decided in time
    SUPERSEDED = "superseded"  # a newer request for the same access replaced it


class StepStatus(StrEnum):
    WAITING = "waiting"  # a later step; not yet asked
    ACTIVE = "active"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"


class Verdict(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


class GrantStatus(StrEnum):
    SCHEDULED = "scheduled"  # approved, starts later
    PROVISIONING = "provisioning"  # connector call queued or pending at the target
    ACTIVE = "active"
    REVOKING = "revoking"  # end decided; connector revocation queued or running
    REVOKE_FAILED = "revoke_failed"  # the connector could not remove it: still held!
    EXPIRED = "expired"  # ended on time and the target confirmed
    REVOKED = "revoked"  # ended early (admin, relinquish, offboarding) and confirmed
    FAILED = "failed"  # provisioning failed; never became active


# Grants that may still give access somewhere: the ledger must keep them in view.
LIVE_GRANT_STATUSES = (GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKING,
                       GrantStatus.REVOKE_FAILED)


class EndReason(StrEnum):
    EXPIRED = "expired"
    REVOKED = "revoked"
    RELINQUISHED = "relinquished"
    OFFBOARDED = "offboarded"
    POLICY = "policy"  # no longer allowed after a mover event
    CANCELLED = "cancelled"


class ActionKind(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"
    SUSPEND = "suspend"
    END_SESSIONS = "end_sessions"
    REACTIVATE = "reactivate"  # undo an offboarding's suspend (re-hire)


class ActionStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    PENDING_EXTERNAL = "pending_external"  # async target or manual task
    SUCCEEDED = "succeeded"
    ALREADY = "already"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED_PERMANENT = "failed_permanent"
    SKIPPED = "skipped"  # not needed any more (another grant still covers it)


DONE_ACTION_STATUSES = (ActionStatus.SUCCEEDED, ActionStatus.ALREADY, ActionStatus.SKIPPED)


class Trigger(StrEnum):
    SLACK = "slack"
    API = "api"
    CLI = "cli"
    TIMER = "timer"
    HR = "hr"
    SCIM = "scim"
    SYSTEM = "system"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    LEAVER = "leaver"
