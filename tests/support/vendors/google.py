"""A stateful fake of the Admin SDK Directory API (users and group members) on respx, plus the
OAuth token endpoint a service account with domain-wide delegation talks to.

From developers.google.com/admin-sdk/directory/reference/rest/v1 and its error reference:
* members.insert: POST groups/{groupKey}/members → 200 member; an existing member → 409
  ``duplicate`` "Member already exists." (DeviaVir/terraform-provider-gsuite#38).
* members.delete: DELETE groups/{groupKey}/members/{memberKey} → 204; not a member → 404
  ``notFound`` "Resource Not Found: memberKey" (lithnet/googleapps-managementagent#13); unknown
  group → 404 "Resource Not Found: groupKey".
* members.get / members.list (``maxResults`` ≤ 200, ``pageToken`` / ``nextPageToken``).
* members.patch / members.update: PATCH / PUT groups/{groupKey}/members/{memberKey} with a member
  body (``role``: MEMBER | MANAGER | OWNER) → 200 member; not a member → 404 memberKey; another
  role → 400 ``invalid`` "Invalid Input: role" (members/patch, members/update and the members
  resource reference). members.insert refuses an existing member whatever the body's role.
* users.get / users.list / users.update (``suspended``) / users.signOut → 204.
* Throttling: 403 with reason ``userRateLimitExceeded`` (or ``quotaExceeded``), no Retry-After.
* Bad token: 401 reason ``authError`` "Invalid Credentials".
* Token endpoint: POST https://oauth2.googleapis.com/token with a JWT-bearer assertion.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import respx

from tests.support.vendors.routing import mount

API = "https://admin.googleapis.com/admin/directory/v1"
TOKEN_URI = "https://oauth2.googleapis.com/token"
ACCESS_TOKEN = "ya29.fake-access-token"
DOMAIN = "acme.test"


def google_error(status: int, reason: str, message: str, domain: str = "global") -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": status, "message": message, "errors": [
        {"message": message, "domain": domain, "reason": reason}]}})


def not_found(key: str) -> httpx.Response:
    return google_error(404, "notFound", f"Resource Not Found: {key}")


def jwt_claims(assertion: str) -> dict[str, Any]:
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class GoogleFake:
    def __init__(self, router: respx.Router, *, access_token: str = ACCESS_TOKEN):
        self.access_token = access_token
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}  # group email -> member email -> member
        self.token_requests: list[dict[str, list[str]]] = []
        self.token_error: tuple[int, dict[str, str]] | None = None
        self._throttled: list[str] = []
        self.router = router
        self._install(router)

    # -- seeding and inspection ----------------------------------------------------------------
    def add_user(self, email: str, name: str = "", *, suspended: bool = False, aliases: tuple[str, ...] = (),
                 last_login: str = "1970-01-01T00:00:00.000Z"):
        # lastLoginTime: "The last time the user logged into the user's account ... 1970-01-01 if never"
        # (developers.google.com/admin-sdk/directory/reference/rest/v1/users)
        self.users[email] = {"lastLoginTime": last_login, "kind": "admin#directory#user", "id": f"1{len(self.users):05d}",
                             "primaryEmail": email, "name": {"fullName": name or email}, "suspended": suspended,
                             "aliases": list(aliases)}

    def add_group(self, email: str) -> None:
        self.groups[email] = {"kind": "admin#directory#group", "id": f"0g{len(self.groups):04d}", "email": email}
        self.members[email] = {}

    def throttle_next(self, *reasons: str) -> None:
        self._throttled.extend(reasons)

    def requests(self) -> list[tuple[str, str]]:
        return [(c.request.method, unquote(c.request.url.path.removeprefix("/admin/directory/v1")))
                for c in self.router.calls if c.request.url.host == "admin.googleapis.com"]

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests() if r[0] != "GET"]

    # -- routes --------------------------------------------------------------------------------
    def _install(self, router: respx.Router) -> None:
        router.post(TOKEN_URI).mock(side_effect=self._token)
        routes = [
            ("GET", r"/users", self._list_users),
            ("POST", r"/users/(?P<key>[^/?]+)/signOut", self._sign_out),
            ("GET", r"/users/(?P<key>[^/?]+)", self._get_user),
            ("PUT", r"/users/(?P<key>[^/?]+)", self._update_user),
            ("GET", r"/groups/(?P<group>[^/?]+)/members", self._list_members),
            ("POST", r"/groups/(?P<group>[^/?]+)/members", self._insert_member),
            ("GET", r"/groups/(?P<group>[^/?]+)/members/(?P<member>[^/?]+)", self._get_member),
            ("DELETE", r"/groups/(?P<group>[^/?]+)/members/(?P<member>[^/?]+)", self._delete_member),
            ("PATCH", r"/groups/(?P<group>[^/?]+)/members/(?P<member>[^/?]+)", self._change_member),
            ("PUT", r"/groups/(?P<group>[^/?]+)/members/(?P<member>[^/?]+)", self._change_member),
        ]
        mount(router, API, routes, self._guarded)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        if self.token_error:
            status, body = self.token_error
            return httpx.Response(status, json=body)
        return httpx.Response(200, json={"access_token": self.access_token, "expires_in": 3599,
                                         "token_type": "Bearer"})

    def _guarded(self, handler):
        def respond(request: httpx.Request, **kwargs) -> httpx.Response:
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                return google_error(401, "authError", "Invalid Credentials")
            if self._throttled:
                reason = self._throttled.pop(0)
                return google_error(403, reason, "Quota exceeded for quota metric 'Queries'", "usageLimits")
            return handler(request, **{k: unquote(v) for k, v in kwargs.items()})
        return respond

    def _find_user(self, key: str) -> dict[str, Any] | None:
        key = key.lower()
        return next((u for u in self.users.values()
                     if key in (u["primaryEmail"], u["id"], *u["aliases"])), None)

    def _find_group(self, key: str) -> str | None:
        return next((email for email, g in self.groups.items() if key.lower() in (email, g["id"])), None)

    def _list_users(self, request):
        """users.list: ``maxResults`` 1..500 (default 100), ``pageToken`` / ``nextPageToken``
        (developers.google.com/admin-sdk/directory/reference/rest/v1/users/list)."""
        size = min(int(request.url.params.get("maxResults", 100)), 500)
        start = int(request.url.params.get("pageToken", "0") or 0)
        users = list(self.users.values())
        body: dict = {"kind": "admin#directory#users", "users": users[start:start + size]}
        if start + size < len(users):
            body["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=body)

    def _get_user(self, request, key):
        user = self._find_user(key)
        return httpx.Response(200, json=user) if user else not_found("userKey")

    def _update_user(self, request, key):
        user = self._find_user(key)
        if not user:
            return not_found("userKey")
        user.update({k: v for k, v in json.loads(request.content).items() if k == "suspended"})
        return httpx.Response(200, json=user)

    def _sign_out(self, request, key):
        return httpx.Response(204) if self._find_user(key) else not_found("userKey")

    def _insert_member(self, request, group):
        email = self._find_group(group)
        if email is None:
            return not_found("groupKey")
        body = json.loads(request.content)
        member_email = body["email"].lower()
        if member_email.endswith("@" + DOMAIN) and self._find_user(member_email) is None:
            return not_found("memberKey")
        if member_email in self.members[email]:
            return google_error(409, "duplicate", "Member already exists.")
        member = {"kind": "admin#directory#member", "id": f"m{len(self.members[email])}", "email": member_email,
                  "role": body.get("role", "MEMBER"), "type": "USER", "status": "ACTIVE"}
        self.members[email][member_email] = member
        return httpx.Response(200, json=member)

    def _get_member(self, request, group, member):
        email = self._find_group(group)
        if email is None:
            return not_found("groupKey")
        found = self.members[email].get(member.lower())
        return httpx.Response(200, json=found) if found else not_found("memberKey")

    def _change_member(self, request, group, member):
        email = self._find_group(group)
        if email is None:
            return not_found("groupKey")
        found = self.members[email].get(member.lower())
        if found is None:
            return not_found("memberKey")
        body = json.loads(request.content or b"{}")
        role = body.get("role", found["role"] if request.method == "PATCH" else "MEMBER")
        if role not in ("MEMBER", "MANAGER", "OWNER"):
            return google_error(400, "invalid", "Invalid Input: role")
        found["role"] = role
        return httpx.Response(200, json=found)

    def _delete_member(self, request, group, member):
        email = self._find_group(group)
        if email is None:
            return not_found("groupKey")
        if self.members[email].pop(member.lower(), None) is None:
            return not_found("memberKey")
        return httpx.Response(204)

    def _list_members(self, request, group):
        email = self._find_group(group)
        if email is None:
            return not_found("groupKey")
        size = min(int(request.url.params.get("maxResults", 200)), 200)
        start = int(request.url.params.get("pageToken") or 0)
        everyone = list(self.members[email].values())
        body: dict[str, Any] = {"kind": "admin#directory#members", "members": everyone[start:start + size]}
        if start + size < len(everyone):
            body["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=body)
