"""Opsgenie's Who is On Call API, on 127.0.0.1:0 (tests/support/http_peer.py).

Follows https://docs.opsgenie.com/docs/who-is-on-call-api: ``GET /v2/schedules/{identifier}/on-calls``
with ``scheduleIdentifierType`` (id, the default, or name), ``flat`` (true: ``onCallRecipients``, the
users' names, which are e-mail addresses; false: ``onCallParticipants``), ``date`` (yyyy-MM-dd'T'HH:mm:ssZ,
default now); answers ``{"data": {"_parent": …, …}, "took", "requestId"}``; auth ``Authorization: GenieKey …``
(https://docs.opsgenie.com/docs/authentication) else 401; an unknown schedule is 404; 429 with
Retry-After when throttled (https://docs.opsgenie.com/docs/api-rate-limiting). Overrides
(https://docs.opsgenie.com/docs/schedule-override-api) replace the rotation's people for their window.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote

from tests.oncall.fakes.base import LoopbackFake
from tests.support.http_peer import Recorded, Reply


@dataclass
class Schedule:
    id: str
    name: str
    on_call: list[str]
    overrides: list[tuple[str, datetime, datetime]] = field(default_factory=list)


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
        if len(parts) != 5 or parts[1:3] != ["v2", "schedules"] or parts[4] != "on-calls":
            return self._reply(404, message="Not found")
        return self._on_calls(unquote(parts[3]), parse_qs(request.query))

    def _on_calls(self, identifier: str, q: dict[str, list[str]]) -> Reply:
        by = q.get("scheduleIdentifierType", ["id"])[0]
        if by not in ("id", "name"):
            return self._reply(422, message="Schedule identifier type is not valid")
        found = [s for s in self.schedules.values() if (s.id if by == "id" else s.name) == identifier]
        if not found:
            return self._reply(404, message=f"No schedule exists with {by} [{identifier}]")
        try:
            at = datetime.fromisoformat(q["date"][0]) if "date" in q else datetime.now(timezone.utc)
        except ValueError:
            return self._reply(422, message="Date is not valid")
        schedule = found[0]
        people = [user for user, start, end in schedule.overrides if start <= at < end] or schedule.on_call
        parent = {"id": schedule.id, "name": schedule.name, "enabled": True}
        if q.get("flat", ["false"])[0] == "true":
            return self._reply(200, data={"_parent": parent, "onCallRecipients": list(people)})
        participants = [{"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, p)), "name": p, "type": "user"} for p in people]
        return self._reply(200, data={"_parent": parent, "onCallParticipants": participants})
