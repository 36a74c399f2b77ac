"""Helpers the connectors share for ``last_activity`` (bot.usage collects the pages).

A vendor's "never signed in" marker (Google's 1970 epoch, a null) is read as unknown: an account
imported or synchronised from elsewhere may have been used where the vendor cannot see it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from connectors.errors import TransientError
from connectors.http import ApiClient, raise_for_status
from connectors.vendor_http import same_origin

NEVER_MARKERS = ("1970-01-01",)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 instant from a vendor, in UTC; None for missing, "never" markers and garbage."""
    if not isinstance(value, str) or not value or value.startswith(NEVER_MARKERS):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def next_link_page(api: ApiClient, cursor: str | None, first: str, params: dict, *, what: str) -> httpx.Response:
    """GET the first page, or the absolute next-page URL saved as the cursor (same host only)."""
    if cursor is not None and not same_origin(api.base_url, cursor):
        raise TransientError(f"{what}: the saved cursor points to another host; starting again")
    response = api.request("GET", cursor or first, params=None if cursor or not params else params)
    raise_for_status(response, ok=(200,), what=what)
    return response
