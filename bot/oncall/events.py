"""Audit event names of on-call auto-approval (stable: dashboards and exports key on them)."""

from bot.ledger.events import EventName


class OnCallEvent(EventName):
    # An auto-approve rule asked about a schedule nobody could answer for: it counted as "not on call".
    LOOKUP_FAILED = "on_call.lookup_failed"
    # An on-call rule approved the request and its grant was cut to the end of the shift.
    GRANT_ENDS_WITH_SHIFT = "on_call.grant_ends_with_shift"
