"""Refusals. Each carries a stable code and a message safe to show the person who asked.

Operations raise these; every front end (Slack, HTTP, CLI) maps them once, so a refusal reads
the same everywhere and nothing is ever silently ignored.
"""


class DomainError(Exception):
    code = "refused"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # which input was wrong, for inline form errors


class NotFoundError(DomainError):
    code = "not_found"
    http_status = 404


class UnknownPerson(NotFoundError):
    code = "unknown_person"


class NotEligible(DomainError):
    code = "not_eligible"
    http_status = 403


class InvalidDuration(DomainError):
    code = "invalid_duration"


class MissingJustification(DomainError):
    code = "missing_justification"


class SeparationOfDuties(DomainError):
    code = "sod_conflict"
    http_status = 409


class NotAuthorized(DomainError):
    code = "not_authorized"
    http_status = 403


class SelfApproval(NotAuthorized):
    code = "self_approval"


class AlreadyDecided(DomainError):
    code = "already_decided"
    http_status = 409


class InvalidState(DomainError):
    code = "invalid_state"
    http_status = 409
