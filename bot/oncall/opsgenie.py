"""Opsgenie: who is on call, from the Who is On Call API, and until when, from the schedule's timeline.

Who: ``GET /v2/schedules/{identifier}/on-calls``, https://docs.opsgenie.com/docs/who-is-on-call-api
(``scheduleIdentifierType`` id|name, ``flat=true`` for the recipients' user names, which are their
e-mail addresses, ``date``). That answer has no shift end, so the end comes from
``GET /v2/schedules/{identifier}/timeline`` (Get Schedule Timeline, https://docs.opsgenie.com/docs/schedule-api:
``identifierType``, ``date``, ``interval`` and ``intervalUnit`` days|weeks|months): the periods of
``finalTimeline.rotations`` (overrides and forwardings applied) with ``startDate``, ``endDate`` and a
``recipient`` whose ``name`` is the user name. Both calls or neither: without the timeline a rule that
ends with the shift could outlast it, so a failed timeline is a failed lookup. EU accounts use
https://api.eu.opsgenie.com; auth ``Authorization: GenieKey …`` (https://docs.opsgenie.com/docs/authentication);
429 https://docs.opsgenie.com/docs/api-rate-limiting.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx

from bot.oncall.config import ProviderSpec, ScheduleSpec
from bot.oncall.http import get_json
from bot.oncall.pagerduty import parse_time
from bot.oncall.shifts import OnCallUnavailable, Shift

# The timeline window from now: a period that reaches its end is cut there, which only ever shortens a
# grant ending with the shift (grants of on-call rules are hours, not weeks).
TIMELINE_INTERVAL = ("1", "weeks")


class OpsgenieSource:
    def __init__(self, spec: ProviderSpec, api_key: str, *, transport: httpx.BaseTransport | None = None):
        self._client = httpx.Client(base_url=spec.url, timeout=spec.timeout_seconds, transport=transport,
                                    headers={"Authorization": f"GenieKey {api_key}"})

    def shifts(self, schedule: ScheduleSpec, at: datetime) -> list[Shift]:
        path = f"/v2/schedules/{quote(schedule.schedule or '', safe='')}"
        date = at.isoformat(timespec="seconds")
        body = get_json(self._client, "Opsgenie", f"{path}/on-calls",
                        {"scheduleIdentifierType": schedule.identifier_type, "flat": "true", "date": date})
        data = body.get("data")
        recipients = data.get("onCallRecipients") if isinstance(data, dict) else None
        if not isinstance(recipients, list):
            raise OnCallUnavailable("Opsgenie answered without onCallRecipients")
        people = {r.strip().lower() for r in recipients if isinstance(r, str)}
        if not people:
            return []
        interval, unit = TIMELINE_INTERVAL
        timeline = get_json(self._client, "Opsgenie", f"{path}/timeline",
                            {"identifierType": schedule.identifier_type, "date": date, "interval": interval,
                             "intervalUnit": unit})
        periods = _periods(timeline)
        return [Shift(email, schedule.level, None, shift_end(periods, email, at)) for email in sorted(people)]

    def close(self) -> None:
        self._client.close()


def _periods(body: dict) -> list[tuple[str, datetime, datetime]]:
    """(user name, start, end) of every user period of the final timeline; malformed ones are skipped."""
    data = body.get("data")
    final = data.get("finalTimeline") if isinstance(data, dict) else None
    rotations = final.get("rotations") if isinstance(final, dict) else None
    if not isinstance(rotations, list):
        raise OnCallUnavailable("Opsgenie answered a timeline without finalTimeline.rotations")
    found = []
    for rotation in rotations:
        for period in (rotation.get("periods") if isinstance(rotation, dict) else None) or []:
            if not isinstance(period, dict):
                continue
            start, end = parse_time(period.get("startDate")), parse_time(period.get("endDate"))
            if start is not None and end is not None and start < end:
                found.extend((name, start, end) for name in _users(period))
    return found


def _users(period: dict) -> list[str]:
    """The user names a period pages: its recipient, or for a team or escalation its flattenedRecipients."""
    recipient = period.get("recipient")
    people = [recipient] if isinstance(recipient, dict) and recipient.get("type") == "user" else \
        period.get("flattenedRecipients") if isinstance(period.get("flattenedRecipients"), list) else []
    return [p["name"].strip().lower() for p in people
            if isinstance(p, dict) and p.get("type", "user") == "user" and isinstance(p.get("name"), str)]


def shift_end(periods: list[tuple[str, datetime, datetime]], email: str, at: datetime) -> datetime | None:
    """When ``email``'s time on call that covers ``at`` ends: the end of their period in progress, carried
    on through their periods that begin by then (back-to-back or overlapping rotations). None: the timeline
    has no period of theirs now (the on-calls answer and the timeline disagree: no end is known)."""
    mine = sorted((start, end) for name, start, end in periods if name == email)
    end = max((e for s, e in mine if s <= at < e), default=None)
    if end is None:
        return None
    for start, later in mine:
        if start <= end < later:
            end = later
    return end
