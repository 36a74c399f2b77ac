"""PagerDuty's REST API v2 as far as on-call goes, on 127.0.0.1:0 (tests/support/http_peer.py).

Follows https://developer.pagerduty.com/api-reference/3a6b910f11050-list-all-of-the-on-calls:
``GET /oncalls`` filtered by ``schedule_ids[]``, ``escalation_policy_ids[]``, ``user_ids[]``, the
window ``since``/``until`` (entries overlapping it), times rendered in ``time_zone``, users expanded by
``include[]=users``; classic pagination https://developer.pagerduty.com/docs/pagination (``limit``
default 25, at most 100, ``offset``, ``more``); ``GET /users/{id}``
(https://developer.pagerduty.com/api-reference/2395ca1feb25e-get-a-user); auth
``Authorization: Token token=…`` else 401 (https://developer.pagerduty.com/docs/authentication); 429
with Retry-After when throttled (https://developer.pagerduty.com/docs/rest-api-rate-limits).
Overrides are what PagerDuty computes into the final schedule: the override's user replaces whoever
the layers put on call, for its window, at every level the schedule serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from tests.oncall.fakes.base import LoopbackFake
from tests.support.http_peer import Recorded, Reply


@dataclass
class Entry:
    user_id: str
    policy_id: str
    level: int
    start: datetime
    end: datetime | None
    schedule_id: str | None = None


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakePagerDuty(LoopbackFake):
    def __init__(self, token: str = "pd-test-token-0123456789"):
        self.token = token
        self.users: dict[str, dict] = {}
        self.entries: list[Entry] = []
        self.overrides: list[tuple[str, str, datetime, datetime]] = []  # schedule, user, start, end
        self.throttled = 0  # how many next requests get 429
        self.include_honoured = True
        super().__init__()

    # -- the account -------------------------------------------------------------------------------
    def user(self, user_id: str, email: str) -> None:
        self.users[user_id] = {"id": user_id, "type": "user", "summary": email.split("@")[0], "email": email,
                               "self": f"https://api.pagerduty.com/users/{user_id}"}

    def on_call(self, user_id: str, *, policy: str, level: int, start: datetime, end: datetime | None,
                schedule: str | None = None) -> None:
        self.entries.append(Entry(user_id, policy, level, start, end, schedule))

    def override(self, schedule: str, user_id: str, start: datetime, end: datetime) -> None:
        self.overrides.append((schedule, user_id, start, end))

    def oncall_requests(self) -> list[Recorded]:
        return self.peer.requests_to("GET", "/oncalls")

    # -- the API -----------------------------------------------------------------------------------
    def _answer(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Token token={self.token}":
            return Reply(401, json={"error": {"message": "Unauthorized", "code": 2006}})
        if self.throttled:
            self.throttled -= 1
            return Reply(429, json={"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                         headers={"Retry-After": "30"})
        if request.path.startswith("/users/"):
            user = self.users.get(request.path.removeprefix("/users/"))
            return Reply(200, json={"user": user}) if user else Reply(404, json={"error": {"message": "Not Found",
                                                                                         "code": 2100}})
        if request.path == "/oncalls":
            return self._oncalls(parse_qs(request.query))
        return Reply(404, json={"error": {"message": "Not Found", "code": 2100}})

    def _oncalls(self, q: dict[str, list[str]]) -> Reply:
        now = datetime.now(timezone.utc)
        since, until = _parse(q.get("since", [now.isoformat()])[0]), _parse(q.get("until", [now.isoformat()])[0])
        try:
            zone = ZoneInfo(q.get("time_zone", ["UTC"])[0])
            limit, offset = min(int(q.get("limit", ["25"])[0]), 100), int(q.get("offset", ["0"])[0])
        except (ValueError, KeyError):
            return Reply(400, json={"error": {"message": "Invalid Input Provided", "code": 2001}})
        schedules, policies = set(q.get("schedule_ids[]", [])), set(q.get("escalation_policy_ids[]", []))
        users = set(q.get("user_ids[]", []))
        picked = [e for e in self._computed()
                  if (not schedules or e.schedule_id in schedules) and (not policies or e.policy_id in policies)
                  and (not users or e.user_id in users) and e.start < until and (e.end is None or e.end > since)]
        page = picked[offset:offset + limit]
        expand = "users" in q.get("include[]", []) and self.include_honoured
        return Reply(200, json={"oncalls": [self._render(e, zone, expand) for e in page], "limit": limit,
                                "offset": offset, "more": offset + limit < len(picked), "total": None})

    def _computed(self) -> list[Entry]:
        """The layers with the overrides applied: an override splits the entry it lands in."""
        out = []
        for entry in self.entries:
            pieces = [entry]
            for schedule, user_id, start, end in self.overrides:
                if entry.schedule_id != schedule:
                    continue
                pieces = [piece for p in pieces for piece in _cut(p, start, end)]
                out.append(Entry(user_id, entry.policy_id, entry.level, max(start, entry.start),
                                 end if entry.end is None else min(end, entry.end), schedule))
            out.extend(pieces)
        return out

    def _render(self, e: Entry, zone: ZoneInfo, expand: bool) -> dict:
        user = self.users[e.user_id]
        return {
            "escalation_policy": {"id": e.policy_id, "type": "escalation_policy_reference", "summary": e.policy_id},
            "escalation_level": e.level,
            "schedule": {"id": e.schedule_id, "type": "schedule_reference"} if e.schedule_id else None,
            "user": dict(user) if expand else {k: user[k] for k in ("id", "summary", "self")} | {"type":
                                                                                                 "user_reference"},
            "start": e.start.astimezone(zone).isoformat(),
            "end": e.end.astimezone(zone).isoformat() if e.end else None,
        }


def _cut(entry: Entry, start: datetime, end: datetime) -> list[Entry]:
    if end <= entry.start or (entry.end is not None and start >= entry.end):
        return [entry]
    kept = []
    if entry.start < start:
        kept.append(Entry(entry.user_id, entry.policy_id, entry.level, entry.start, start, entry.schedule_id))
    if entry.end is None or end < entry.end:
        kept.append(Entry(entry.user_id, entry.policy_id, entry.level, end, entry.end, entry.schedule_id))
    return kept
