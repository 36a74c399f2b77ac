"""One GET to an on-call provider, its failures turned into OnCallUnavailable with a reason people can read."""

from __future__ import annotations

from typing import Any

import httpx

from bot.oncall.shifts import OnCallUnavailable

_REFUSED = {401: "refused the credential (401): check the API key",
            403: "does not let this credential read the schedule (403)",
            404: "does not know this schedule (404)"}


def get_json(client: httpx.Client, vendor: str, url: str, params: Any = None) -> dict:
    try:
        response = client.get(url, params=params)
    except httpx.TimeoutException:
        raise OnCallUnavailable(f"{vendor} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise OnCallUnavailable(f"{vendor} could not be reached ({type(exc).__name__})") from None
    if response.status_code == 429:
        wait = _seconds(response.headers.get("Retry-After"))
        raise OnCallUnavailable(f"{vendor} is rate-limiting us (429)"
                                + (f"; asked to retry after {wait:g}s" if wait else ""), retry_after=wait)
    if response.status_code in _REFUSED:
        raise OnCallUnavailable(f"{vendor} {_REFUSED[response.status_code]}")
    if response.status_code >= 400:
        raise OnCallUnavailable(f"{vendor} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise OnCallUnavailable(f"{vendor} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise OnCallUnavailable(f"{vendor} answered an unexpected document")
    return body


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from these APIs; the failure cache's own delay applies
    return seconds if seconds is not None and 0 < seconds <= 3600 else None
