"""The one retry layer for HTTP connectors: an httpx client that retries transient failures.

* 5xx (but 501/505, which do not heal), transport errors and throttling are retried with
  exponential backoff and jitter.
* A throttle's own hint (``Retry-After`` in seconds or as an HTTP date on a 429 or 503, or a
  vendor reset header through ``rate_limit_hint``) is honoured; a hint longer than
  ``max_inline_wait`` is not slept on but raised as ``RateLimited`` so the scheduler waits
  instead of a thread.
* Every other status is returned to the connector, which knows what a 404 or 409 means there.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import httpx
import tenacity

from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    TransientError,
    Unsupported,
)

log = logging.getLogger(__name__)

# "Not Implemented" and "HTTP Version Not Supported" do not heal by retrying.
PERMANENT_SERVER_STATUSES = frozenset({501, 505})

# Returns None when the response is not a throttle, else the seconds to wait (0.0 when unknown).
RateLimitHint = Callable[[httpx.Response], float | None]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)  # RFC 9110 says an integer; some servers send "1.5"
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def default_rate_limit_hint(response: httpx.Response) -> float | None:
    """429 is a throttle; so is a 503 that says when to come back (Graph and many gateways do)."""
    hint = parse_retry_after(response.headers.get("retry-after"))
    if response.status_code == 429:
        return 0.0 if hint is None else hint
    if response.status_code == 503 and hint is not None:
        return hint
    return None


def epoch_reset_hint(header: str) -> RateLimitHint:
    """For vendors that send the reset moment as epoch seconds (Okta X-Rate-Limit-Reset, GitHub)."""

    def hint(response: httpx.Response) -> float | None:
        if response.status_code != 429:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is not None:
            return retry_after
        reset = response.headers.get(header)
        if reset and reset.isdigit():
            return max(0.0, int(reset) - datetime.now(timezone.utc).timestamp())
        return 0.0

    return hint


class ApiClient:
    """An httpx.Client with the retry policy above. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
        timeout: float = 15.0,
        max_attempts: int = 4,
        max_inline_wait: float = 5.0,
        backoff: float = 0.5,
        rate_limit_hint: RateLimitHint = default_rate_limit_hint,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._client = httpx.Client(base_url=base_url, headers=headers, auth=auth, timeout=timeout,
                                    transport=transport)
        self.max_attempts = max_attempts
        self.max_inline_wait = max_inline_wait
        self.backoff = backoff
        self.rate_limit_hint = rate_limit_hint
        self._sleep = sleep
        # Jitter of the same order as the base delay spreads replicas that failed together.
        self._backoff = tenacity.wait_exponential_jitter(multiplier=backoff, max=max_inline_wait, jitter=backoff)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Send with retries; returns any non-throttle, non-5xx response for the caller to map.

        Raises TransientError (5xx, transport failure, timeout) or RateLimited once the attempts
        are spent, or at once when the target asks for a wait longer than ``max_inline_wait``.
        """
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientError),
            stop=tenacity.stop_after_attempt(self.max_attempts) | self._wait_too_long,
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._send_once, method, url, **kwargs)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after:
            return error.retry_after
        return self._backoff(state)

    def _wait_too_long(self, state: tenacity.RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        return isinstance(error, RateLimited) and (error.retry_after or 0) > self.max_inline_wait

    @staticmethod
    def _log_retry(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("retrying after %s (attempt %d, waiting %.2fs)", error, state.attempt_number, wait)

    def _send_once(self, method: str, url: str, **kwargs) -> httpx.Response:
        # Details name the path only: a query string may carry a customer's signed token.
        label = f"{method} {httpx.URL(url).path or '/'}"
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{label}: timed out") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{label}: {type(exc).__name__}") from exc
        hint = self.rate_limit_hint(response)
        if hint is not None:
            raise RateLimited(f"{label}: throttled (HTTP {response.status_code})", retry_after=hint,
                              http_status=response.status_code)
        if response.status_code >= 500 and response.status_code not in PERMANENT_SERVER_STATUSES:
            raise TransientError(f"{label}: server error {response.status_code}",
                                 http_status=response.status_code)
        return response


def raise_for_status(response: httpx.Response, *, ok: Iterable[int] = (200, 201, 202, 204),
                     what: str = "") -> httpx.Response:
    """Map a status the connector did not handle itself to the common error kinds."""
    status = response.status_code
    if status in set(ok):
        return response
    label = what or f"{response.request.method} {response.request.url.path}"
    detail = f"{label}: HTTP {status} {short_body(response)}".strip()
    error: type[ConnectorError]
    if status in (401, 403):
        error = AuthError
    elif status == 404:
        error = NotFound
    elif 400 <= status < 500:
        error = InvalidRequest
    elif status in PERMANENT_SERVER_STATUSES:
        error = Unsupported
    else:
        error = TransientError
    raise error(detail, http_status=status)


def short_body(response: httpx.Response, limit: int = 200) -> str:
    """A response body trimmed for error details (bodies never carry our credentials)."""
    try:
        text = response.text
    except Exception:  # undecodable bytes: say nothing rather than fail the error path
        return ""
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")
