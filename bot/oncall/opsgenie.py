"""Opsgenie: who is on call, from the Who is On Call API ``GET /v2/schedules/{identifier}/on-calls``.

https://docs.opsgenie.com/docs/who-is-on-call-api (``scheduleIdentifierType`` id|name, ``flat=true``
for the recipients' user names, which are their e-mail addresses, ``date``; EU accounts use
https://api.eu.opsgenie.com), auth ``Authorization: GenieKey …``
(https://docs.opsgenie.com/docs/authentication), 429 https://docs.opsgenie.com/docs/api-rate-limiting.
The answer names who is on call, not until when: a shift end is unknown (``ends_with_shift`` then
leaves the grant its duration; docs/policies.md says so).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx

from bot.oncall.config import ProviderSpec, ScheduleSpec
from bot.oncall.http import get_json
from bot.oncall.shifts import OnCallUnavailable, Shift


class OpsgenieSource:
    def __init__(self, spec: ProviderSpec, api_key: str, *, transport: httpx.BaseTransport | None = None):
        self._client = httpx.Client(base_url=spec.url, timeout=spec.timeout_seconds, transport=transport,
                                    headers={"Authorization": f"GenieKey {api_key}"})

    def shifts(self, schedule: ScheduleSpec, at: datetime) -> list[Shift]:
        params = {"scheduleIdentifierType": schedule.identifier_type, "flat": "true",
                  "date": at.isoformat(timespec="seconds")}
        body = get_json(self._client, "Opsgenie", f"/v2/schedules/{quote(schedule.schedule or '', safe='')}/on-calls",
                        params)
        data = body.get("data")
        recipients = data.get("onCallRecipients") if isinstance(data, dict) else None
        if not isinstance(recipients, list):
            raise OnCallUnavailable("Opsgenie answered without onCallRecipients")
        return [Shift(r.strip().lower(), schedule.level, None, None) for r in recipients if isinstance(r, str)]

    def close(self) -> None:
        self._client.close()
