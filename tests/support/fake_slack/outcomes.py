"""How a Web API call can end: Slack's error convention and the outcomes a test can force.

Slack answers almost every failure with HTTP 200 and `{"ok": false, "error": "<code>"}`; only rate limiting
(429 + an integer `Retry-After`) and outages (5xx) change the status. A test queues forced outcomes per method
with `FakeSlack.inject`; each queued outcome is used by exactly one call, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SlackError(Exception):
    """Raised by a method implementation; becomes `{"ok": false, "error": code, **extra}` with HTTP 200."""

    def __init__(self, code: str, **extra: Any):
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


@dataclass(frozen=True)
class Outcome:
    """A forced answer. `proceed=True` (a pure delay) runs the real method after sleeping `delay` seconds."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    proceed: bool = False

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Outcome:
        if not isinstance(retry_after, int) or retry_after < 0:
            # slack_sdk's RateLimitErrorRetryHandler parses the header with int(); Slack sends whole seconds.
            raise ValueError("Retry-After is a whole number of seconds")
        return cls(status=429, body={"ok": False, "error": "ratelimited"},
                   headers={"Retry-After": str(retry_after)})

    @classmethod
    def error(cls, code: str, **extra: Any) -> Outcome:
        return cls(status=200, body={"ok": False, "error": code, **extra})

    @classmethod
    def server_error(cls, status: int = 500) -> Outcome:
        if not 500 <= status <= 599:
            raise ValueError("a server error has a 5xx status")
        code = "service_unavailable" if status == 503 else "internal_error"
        return cls(status=status, body={"ok": False, "error": code})

    @classmethod
    def delayed(cls, seconds: float) -> Outcome:
        return cls(delay=seconds, proceed=True)

    @property
    def is_error(self) -> bool:
        return not self.proceed
