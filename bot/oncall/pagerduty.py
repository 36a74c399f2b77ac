"""PagerDuty: who is on call, from REST API v2 ``GET /oncalls``.

https://developer.pagerduty.com/api-reference/3a6b910f11050-list-all-of-the-on-calls
(filters ``schedule_ids[]``/``escalation_policy_ids[]``, window ``since``/``until``, ``time_zone``,
``include[]=users`` for e-mail addresses), pagination https://developer.pagerduty.com/docs/pagination
(``offset``/``limit``/``more``), auth ``Authorization: Token token=…``, 429 with rate limits
https://developer.pagerduty.com/docs/rest-api-rate-limits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from bot.oncall.config import ProviderSpec, ScheduleSpec
from bot.oncall.http import get_json
from bot.oncall.shifts import OnCallUnavailable, Shift

PAGE = 100
MAX_PAGES = 20  # 2,000 on-call entries for one schedule is a misconfiguration, not a roster


class PagerDutySource:
    def __init__(self, spec: ProviderSpec, token: str, *, transport: httpx.BaseTransport | None = None):
        self._client = httpx.Client(
            base_url=spec.url, timeout=spec.timeout_seconds, transport=transport,
            headers={"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2"})

    def shifts(self, schedule: ScheduleSpec, at: datetime) -> list[Shift]:
        scope = ("schedule_ids[]", schedule.schedule) if schedule.schedule else \
            ("escalation_policy_ids[]", schedule.escalation_policy)
        found: list[Shift] = []
        for page in range(MAX_PAGES):
            # A one-second window: the entries in progress now; UTC so the times compare without guessing.
            params = [scope, ("include[]", "users"), ("time_zone", "UTC"), ("since", _iso(at)),
                      ("until", _iso(at + timedelta(seconds=1))), ("limit", PAGE), ("offset", page * PAGE)]
            body = get_json(self._client, "PagerDuty", "/oncalls", params)
            entries = body.get("oncalls")
            if not isinstance(entries, list):
                raise OnCallUnavailable("PagerDuty answered without an oncalls list")
            found.extend(shift for entry in entries if (shift := self._shift(entry)) is not None)
            if not body.get("more"):
                return found
        raise OnCallUnavailable(f"PagerDuty listed more than {MAX_PAGES * PAGE} on-call entries")

    def _shift(self, entry: object) -> Shift | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), dict):
            return None
        user = entry["user"]
        email = user.get("email") or self._email(user.get("id"))
        level = entry.get("escalation_level")
        if not isinstance(email, str) or not isinstance(level, int) or isinstance(level, bool):
            return None
        return Shift(email.strip().lower(), level, parse_time(entry.get("start")), parse_time(entry.get("end")))

    def _email(self, user_id: object) -> str | None:
        """When include[]=users was not honoured: the user's own record (GET /users/{id})."""
        if not isinstance(user_id, str) or not user_id.isalnum():
            return None
        user = get_json(self._client, "PagerDuty", f"/users/{user_id}").get("user")
        return user.get("email") if isinstance(user, dict) else None

    def close(self) -> None:
        self._client.close()


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
