"""A stateful fake of the GitHub REST endpoints (API version 2022-11-28) for org and team membership.

From docs.github.com/rest/orgs/members, /rest/teams/members, /rest/teams/team-sync and
/rest/using-the-rest-api/rate-limits-for-the-rest-api:
* PUT /orgs/{org}/memberships/{username} {"role"} → 200 membership; someone outside the org gets
  an invitation: ``state: pending``. GET → 200 (active or pending) or 404. DELETE → 204 (also
  cancels an invitation); a stranger → 404.
* PUT/GET/DELETE /orgs/{org}/teams/{slug}/memberships/{username}; a team synchronised with an IdP
  group refuses changes with 403; GET /orgs/{org}/teams/{slug}/team-sync/group-mappings lists its groups.
* GET /orgs/{org}/teams/{slug}/external-groups (docs.github.com/enterprise-cloud@latest/rest/teams/
  external-groups, "List a connection between an external group and a team") → 200
  ``{"groups": [{"group_id", "group_name", "updated_at"}]}``; the endpoints exist only for an
  enterprise with managed users, so a fake org without ``emu`` answers 404 Not Found.
* GET /orgs/{org}/members and /orgs/{org}/teams/{slug}/members: ``per_page`` ≤ 100, ``role``,
  ``Link: rel="next"``.
* 401 "Bad credentials"; primary limit 403 with x-ratelimit-remaining: 0 and x-ratelimit-reset
  (epoch); secondary limit 403 "You have exceeded a secondary rate limit" with or without retry-after
  (rate-limits-for-the-rest-api: then wait a minute, and exponentially longer if it persists).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import respx

from tests.support.vendors.routing import link_page, mount

API = "https://api.github.com"
ORG = "acme"
TOKEN = "ghp_fakeTokenForTests"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


def gh_error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={
        "message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)})


class GitHubFake:
    def __init__(self, router: respx.Router, *, write_latency: float = 0.0, emu: bool = False):
        self.emu = emu
        self.users: dict[str, dict[str, Any]] = {}
        self.org_members: dict[str, dict[str, str]] = {}  # login -> {"role", "state"}
        self.teams: dict[str, dict[str, Any]] = {}  # slug -> {"members": {login: {...}}, "idp_groups": [...]}
        self._queued: list[httpx.Response] = []
        self.write_latency = write_latency
        self.in_flight = 0
        self.max_in_flight = 0
        self._flight_lock = threading.Lock()
        self.router = router
        org = rf"/orgs/{ORG}"
        mount(router, API, [
            ("GET", org, self._get_org),
            ("GET", r"/users/(?P<login>[^/?]+)", self._get_user),
            ("GET", rf"{org}/memberships/(?P<login>[^/?]+)", self._get_org_membership),
            ("PUT", rf"{org}/memberships/(?P<login>[^/?]+)", self._put_org_membership),
            ("DELETE", rf"{org}/memberships/(?P<login>[^/?]+)", self._delete_org_membership),
            ("GET", rf"{org}/members", self._list_org_members),
            ("GET", rf"{org}/teams/(?P<slug>[^/?]+)/memberships/(?P<login>[^/?]+)", self._get_team_membership),
            ("PUT", rf"{org}/teams/(?P<slug>[^/?]+)/memberships/(?P<login>[^/?]+)", self._put_team_membership),
            ("DELETE", rf"{org}/teams/(?P<slug>[^/?]+)/memberships/(?P<login>[^/?]+)", self._delete_team_membership),
            ("GET", rf"{org}/teams/(?P<slug>[^/?]+)/members", self._list_team_members),
            ("GET", rf"{org}/teams/(?P<slug>[^/?]+)/team-sync/group-mappings", self._group_mappings),
            ("GET", rf"{org}/teams/(?P<slug>[^/?]+)/external-groups", self._external_groups),
        ], self._guarded)

    # -- seeding and inspection ----------------------------------------------------------------
    def add_user(self, login: str, *, in_org: bool = False, role: str = "member") -> None:
        self.users[login.lower()] = {"login": login, "id": len(self.users) + 1, "name": login.title()}
        if in_org:
            self.org_members[login] = {"role": role, "state": "active"}

    def add_team(self, slug: str, *, idp_groups: tuple[str, ...] = (), sync_message: str | None = None,
                 external_group: str | None = None) -> None:
        self.teams[slug] = {"members": {}, "idp_groups": list(idp_groups), "sync_message": sync_message,
                            "external_group": external_group}

    def accept_invitation(self, login: str) -> None:
        self.org_members[login]["state"] = "active"
        for team in self.teams.values():
            if login in team["members"]:
                team["members"][login]["state"] = "active"

    def answer_next(self, response: httpx.Response) -> None:
        """The next request gets ``response`` (a rate limit, a refusal, a stale read) instead."""
        self._queued.append(response)

    def calls(self) -> list[tuple[str, str]]:
        return [(c.request.method, c.request.url.path) for c in self.router.calls]

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls() if c[0] != "GET"]

    # -- plumbing ------------------------------------------------------------------------------
    def _guarded(self, handler):
        def respond(request: httpx.Request, **kwargs) -> httpx.Response:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return gh_error(401, "Bad credentials")
            if self._queued:
                return self._queued.pop(0)
            if request.method == "GET":
                return handler(request, **kwargs)
            with self._flight_lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                time.sleep(self.write_latency)  # widens the window in which unserialised writes overlap
                return handler(request, **kwargs)
            finally:
                with self._flight_lock:
                    self.in_flight -= 1
        return respond

    @staticmethod
    def primary_limit(reset_in: int) -> httpx.Response:
        return gh_error(403, "API rate limit exceeded for installation ID 1.", {
            "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(time.time()) + reset_in), "x-ratelimit-resource": "core"})

    @staticmethod
    def secondary_limit(retry_after: int | None) -> httpx.Response:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return gh_error(403, SECONDARY, headers)

    # -- endpoints -----------------------------------------------------------------------------
    def _get_org(self, request):
        return httpx.Response(200, json={"login": ORG, "id": 100})

    def _get_user(self, request, login):
        user = self.users.get(login.lower())
        return httpx.Response(200, json=user) if user else gh_error(404, "Not Found")

    def _membership_body(self, login: str, membership: dict[str, str]) -> dict[str, Any]:
        return {"url": f"{API}/orgs/{ORG}/memberships/{login}", "state": membership["state"],
                "role": membership["role"], "organization": {"login": ORG}, "user": self.users[login.lower()]}

    def _get_org_membership(self, request, login):
        membership = self.org_members.get(login)
        return httpx.Response(200, json=self._membership_body(login, membership)) if membership \
            else gh_error(404, "Not Found")

    def _put_org_membership(self, request, login):
        if login.lower() not in self.users:
            return gh_error(404, "Not Found")
        role = json.loads(request.content).get("role", "member")
        membership = self.org_members.setdefault(login, {"role": role, "state": "pending"})
        membership["role"] = role
        return httpx.Response(200, json=self._membership_body(login, membership))

    def _delete_org_membership(self, request, login):
        if self.org_members.pop(login, None) is None:
            return gh_error(404, "Not Found")
        for team in self.teams.values():
            team["members"].pop(login, None)
        return httpx.Response(204)

    def _page(self, request, logins: list[str]) -> httpx.Response:
        page, headers = link_page(request, [self.users[login.lower()] for login in logins], size_param="per_page",
                                  cursor_param="page", default_size=30, max_size=100)
        return httpx.Response(200, json=page, headers=headers)

    def _list_org_members(self, request):
        role = request.url.params.get("role", "all")
        return self._page(request, [login for login, m in self.org_members.items()
                                    if m["state"] == "active" and role in ("all", m["role"])])

    def _team(self, slug: str) -> dict[str, Any] | httpx.Response:
        return self.teams.get(slug) or gh_error(404, "Not Found")

    def _get_team_membership(self, request, slug, login):
        team = self._team(slug)
        if isinstance(team, httpx.Response):
            return team
        membership = team["members"].get(login)
        return httpx.Response(200, json={"url": f"{API}/orgs/{ORG}/teams/{slug}/memberships/{login}", **membership}) \
            if membership else gh_error(404, "Not Found")

    def _refuse_if_synced(self, team: dict[str, Any]) -> httpx.Response | None:
        if team["idp_groups"]:
            return gh_error(403, team["sync_message"] or "Resource not accessible by integration")
        return None

    def _put_team_membership(self, request, slug, login):
        team = self._team(slug)
        if isinstance(team, httpx.Response):
            return team
        refused = self._refuse_if_synced(team)
        if refused or login.lower() not in self.users:
            return refused or gh_error(404, "Not Found")
        in_org = self.org_members.get(login, {}).get("state") == "active"
        if not in_org:
            self.org_members.setdefault(login, {"role": "member", "state": "pending"})
        membership = team["members"].setdefault(login, {"role": "member", "state": "active" if in_org else "pending"})
        membership["role"] = json.loads(request.content).get("role", "member")
        return httpx.Response(200, json={"url": f"{API}/orgs/{ORG}/teams/{slug}/memberships/{login}", **membership})

    def _delete_team_membership(self, request, slug, login):
        team = self._team(slug)
        if isinstance(team, httpx.Response):
            return team
        refused = self._refuse_if_synced(team)
        if refused or team["members"].pop(login, None) is None:
            return refused or gh_error(404, "Not Found")
        return httpx.Response(204)

    def _list_team_members(self, request, slug):
        team = self._team(slug)
        if isinstance(team, httpx.Response):
            return team
        role = request.url.params.get("role", "all")
        return self._page(request, [login for login, m in team["members"].items()
                                    if m["state"] == "active" and role in ("all", m["role"])])

    def _group_mappings(self, request, slug):
        team = self._team(slug)
        if isinstance(team, httpx.Response):
            return team
        return httpx.Response(200, json={"groups": [{"group_id": g, "group_name": g, "group_description": ""}
                                                    for g in team["idp_groups"]]})

    def _external_groups(self, request, slug):
        team = self._team(slug)
        if isinstance(team, httpx.Response) or not self.emu:
            return gh_error(404, "Not Found")
        linked = team["external_group"]
        return httpx.Response(200, json={"groups": [{"group_id": 123, "group_name": linked,
                                                     "updated_at": "2026-01-24T11:31:04-06:00"}] if linked else []})
