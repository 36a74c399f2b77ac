"""Opsgenie's Who is On Call API, on 127.0.0.1:0 (tests/support/http_peer.py).

Follows https://docs.opsgenie.com/docs/who-is-on-call-api: ``GET /v2/schedules/{identifier}/on-calls``
with ``scheduleIdentifierType`` (id, the default, or name), ``flat`` (true: ``onCallRecipients``, the
users' names, which are e-mail addresses; false: ``onCallParticipants``), ``date`` (yyyy-MM-dd'T'HH:mm:ssZ,
default now); answers ``{"data": {"_parent": …, …}, "took", "requestId"}``; auth ``Authorization: GenieKey …``
(https://docs.opsgenie.com/docs/authentication) else 401; an unknown schedule is 404; 429 with
Retry-After when throttled (https://docs.opsgenie.com/docs/api-rate-limiting). Overrides
(https://docs.opsgenie.com/docs/schedule-override-api) replace the rotation's people for their window.

And Get Schedule Timeline (https://docs.opsgenie.com/docs/schedule-api): ``GET /v2/schedules/{identifier}/timeline``
with ``identifierType`` (id|name), ``date`` (the window's start, default now), ``interval`` (default 1) and
``intervalUnit`` (days|weeks|months, default weeks); answers ``data.startDate``/``endDate`` and
``finalTimeline.rotations[].periods[]`` of ``startDate``, ``endDate``, ``type`` and ``recipient``
(``{"id", "type": "user", "name": <user name>}``), cut to the window, overrides applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote

from tests.oncall.fakes.base import LoopbackFake
from tests.support.http_peer import Recorded, Reply


@dataclass
class Schedule:
    id: str
    name: str
    on_call: list[str]  # on call all the time (no handoff), unless ``shifts`` says who is when
    overrides: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    shifts: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # the rotation's periods

    def who(self, at: datetime) -> list[str]:
        return [user for user, start, end in self.overrides if start <= at < end] or \
            ([user for user, start, end in self.shifts if start <= at < end] if self.shifts else list(self.on_call))

    def final_periods(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime, str]]:
        """(user, start, end, type) in [start, end): the rotation's periods with the overrides cut out, then them."""
        base = self.shifts or [(user, start, end) for user in self.on_call]
        out = []
        for user, s, e in base:
            pieces = [(max(s, start), min(e, end))]
            for _, os, oe in self.overrides:
                pieces = [p for a, b in pieces for p in ((a, min(b, os)), (max(a, oe), b))]
            out.extend((user, a, b, "default") for a, b in pieces if a < b)
        return out + [(u, max(s, start), min(e, end), "override") for u, s, e in self.overrides
                      if max(s, start) < min(e, end)]


class FakeOpsgenie(LoopbackFake):
    def __init__(self, api_key: str = "og-test-key-0123456789"):
        self.api_key = api_key
        self.schedules: dict[str, Schedule] = {}
        self.throttled = 0
        super().__init__()

    def schedule(self, schedule_id: str, name: str, on_call: list[str]) -> Schedule:
        self.schedules[schedule_id] = Schedule(schedule_id, name, on_call)
        return self.schedules[schedule_id]

    def _reply(self, status: int, **body) -> Reply:
        return Reply(status, json={**body, "took": 0.01, "requestId": str(uuid.uuid4())})

    def _answer(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"GenieKey {self.api_key}":
            return self._reply(401, message="Could not authenticate")
        if self.throttled:
            self.throttled -= 1
            return Reply(429, json={"message": "You are making too many requests! To avoid errors, we recommend "
                                               "you limit requests.", "took": 0.0, "requestId": str(uuid.uuid4())},
                         headers={"Retry-After": "20", "X-RateLimit-State": "THROTTLED"})
        parts = request.path.split("/")
        if len(parts) != 5 or parts[1:3] != ["v2", "schedules"] or parts[4] not in ("on-calls", "timeline"):
            return self._reply(404, message="Not found")
        q = parse_qs(request.query)
        by = q.get("scheduleIdentifierType" if parts[4] == "on-calls" else "identifierType", ["id"])[0]
        if by not in ("id", "name"):
            return self._reply(422, message="Schedule identifier type is not valid")
        identifier = unquote(parts[3])
        found = [s for s in self.schedules.values() if (s.id if by == "id" else s.name) == identifier]
        if not found:
            return self._reply(404, message=f"No schedule exists with {by} [{identifier}]")
        try:
            at = datetime.fromisoformat(q["date"][0]) if "date" in q else datetime.now(timezone.utc)
        except ValueError:
            return self._reply(422, message="Date is not valid")
        if parts[4] == "timeline":
            return self._timeline(found[0], at, q)
        return self._on_calls(found[0], at, q)

    def _timeline(self, schedule: Schedule, at: datetime, q: dict[str, list[str]]) -> Reply:
        unit = {"days": timedelta(days=1), "weeks": timedelta(weeks=1), "months": timedelta(days=30)}.get(
            q.get("intervalUnit", ["weeks"])[0])
        interval = q.get("interval", ["1"])[0]
        if unit is None or not interval.isdigit():
            return self._reply(422, message="Interval is not valid")
        end = at + int(interval) * unit
        periods = [{"startDate": _iso(s), "endDate": _iso(e), "type": kind,
                    "recipient": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, user)), "type": "user", "name": user}}
                   for user, s, e, kind in schedule.final_periods(at, end)]
        rotation = {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, schedule.id)), "name": "Rota", "order": 1.0,
                    "periods": periods}
        return self._reply(200, data={"_parent": {"id": schedule.id, "name": schedule.name, "enabled": True},
                                      "startDate": _iso(at), "endDate": _iso(end),
                                      "finalTimeline": {"rotations": [rotation]}},
                           expandable=["base", "forwarding", "override"])

    def _on_calls(self, schedule: Schedule, at: datetime, q: dict[str, list[str]]) -> Reply:
        people = schedule.who(at)
        parent = {"id": schedule.id, "name": schedule.name, "enabled": True}
        if q.get("flat", ["false"])[0] == "true":
            return self._reply(200, data={"_parent": parent, "onCallRecipients": list(people)})
        participants = [{"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, p)), "name": p, "type": "user"} for p in people]
        return self._reply(200, data={"_parent": parent, "onCallParticipants": participants})


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
