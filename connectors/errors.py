"""The error kinds a connector raises. The workflow reacts to the kind, never to a vendor's code.

"Already in the desired state" is not an error: connectors turn it into ``Outcome.ALREADY``.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure.

    ``retryable`` tells the provisioning runner whether trying again later can help.
    ``detail`` is safe to show to people: it never contains credentials.
    """

    kind = "error"
    retryable = False

    def __init__(self, detail: str, *, http_status: int | None = None, provider_code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.http_status = http_status
        self.provider_code = provider_code


class TransientError(ConnectorError):
    """5xx, timeouts, connection resets, eventual-consistency conflicts."""

    kind = "transient"
    retryable = True


class RateLimited(TransientError):
    """The target throttled us; ``retry_after`` is the wait it asked for, in seconds (None: not said)."""

    kind = "rate_limited"

    def __init__(self, detail: str, *, retry_after: float | None = None, **kw):
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class AuthError(ConnectorError):
    """Bad, expired or under-scoped credentials, or a configuration the target refuses."""

    kind = "auth"


class ConfigError(AuthError):
    """The instance's configuration is invalid (missing option, unreadable secret)."""

    kind = "config"


class NotFound(ConnectorError):
    kind = "not_found"


class PrincipalNotFound(NotFound):
    """The person has no account in the target."""

    kind = "principal_not_found"


class TargetNotFound(NotFound):
    """The group, team, permission set... named by the entitlement does not exist."""

    kind = "target_not_found"


class AmbiguousPrincipal(ConnectorError):
    """Several accounts match the person; we refuse to guess."""

    kind = "ambiguous_principal"


class ManagedExternally(ConnectorError):
    """Membership is driven elsewhere (IdP rule, team sync, dynamic group): we must not change it here."""

    kind = "managed_elsewhere"


class InvalidRequest(ConnectorError):
    """The target refused the request as malformed (a 400 that is not "already in state")."""

    kind = "invalid_request"


class Unsupported(ConnectorError):
    """The connector has no such capability (e.g. suspend on a target without accounts)."""

    kind = "unsupported"
