"""A stateful fake of the Okta Management API endpoints accessbot uses, mounted on respx.

Shapes, statuses and error bodies follow developer.okta.com:
* Groups API: GET /api/v1/groups/{id} (``type`` OKTA_GROUP | APP_GROUP | BUILT_IN),
  GET /api/v1/groups/{id}/users, PUT/DELETE /api/v1/groups/{gid}/users/{uid} → 204 (idempotent),
  GET /api/v1/groups/rules (``actions.assignUserToGroups.groupIds``).
* Users API: GET /api/v1/users/{id|login}, GET /api/v1/users?search=, GET /api/v1/users/{id}/groups
  (``limit`` <= 200, default 200: .../management/tags/userresources/other/listusergroups),
  DELETE /api/v1/users/{id}/sessions?oauthTokens=true → 204.
* User Lifecycle API (.../management/tag/UserLifecycle/): suspend "only on users with an ACTIVE
  status"; unsuspend only SUSPENDED; unlock LOCKED_OUT → ACTIVE; deactivate any status but
  DEPROVISIONED → DEPROVISIONED. A transition from another status → 400 E0000001.
* OAuth for Okta (developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/):
  POST /oauth2/v1/token, form-encoded client_credentials with a private_key_jwt client assertion
  (RS256 signed by the app's registered key; iss = sub = client id, aud = the token URL, exp, a
  never-reused jti) → {"token_type": "Bearer", "expires_in": 3600, "access_token", "scope"};
  refusals are 400/401 ``invalid_client`` / ``invalid_scope`` / ``unsupported_grant_type``. API calls
  then carry ``Authorization: Bearer``; a token lacking the endpoint's scope → 403 E0000006 with
  ``WWW-Authenticate: Bearer error="insufficient_scope"`` (okta.*.manage includes okta.*.read).
* Errors: 401 E0000011 "Invalid token provided"; 404 E0000007 "Not found: Resource not found: <id> (User)"
  or "(UserGroup)" (seen in okta/samples-js-react#60); 429 E0000047 with X-Rate-Limit-Limit,
  -Remaining and -Reset (UTC epoch seconds) on every response.
* Paging: ``limit`` and ``after`` with an absolute ``Link: <...>; rel="next"`` URL.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import respx

from tests.support.vendors.routing import link_page, mount

ORG_URL = "https://acme.okta.com"
TOKEN = "00okta-test-token"
TOKEN_URL = f"{ORG_URL}/oauth2/v1/token"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFECYCLE = {  # operation -> (statuses it applies to, status after)
    "suspend": ({"ACTIVE"}, "SUSPENDED"),
    "unsuspend": ({"SUSPENDED"}, "ACTIVE"),
    "unlock": ({"LOCKED_OUT"}, "ACTIVE"),
    "deactivate": ({"STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED"},
                   "DEPROVISIONED"),
}


def okta_error(status: int, code: str, summary: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={
        "errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oaeFakeErrorId", "errorCauses": []})


class OktaFake:
    def __init__(self, router: respx.Router, *, token: str = TOKEN):
        self.token = token
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        self.rules: list[dict[str, Any]] = []
        self._throttled: list[int] = []  # reset offsets (seconds from now) of the next 429s
        self._failures: dict[str, int] = {}  # URL fragment -> status to answer with
        self.service_apps: dict[str, tuple[Any, str | None, set[str]]] = {}  # client id -> (public key, kid, scopes)
        self.access_tokens: dict[str, set[str]] = {}  # issued token -> its scopes
        self.used_jtis: set[str] = set()
        self.token_lifetime = 3600  # seconds, Okta's for scoped access tokens
        self.token_requests: list[dict[str, str]] = []
        self.router = router
        self._install(router)

    # -- seeding -------------------------------------------------------------------------------
    def add_user(self, user_id: str, login: str, *, email: str | None = None, status: str = "ACTIVE",
                 last_login: str | None = None) -> None:
        # lastLogin: "Timestamp of the last login", null until the first (developer.okta.com/docs/api/
        # openapi/okta-management/management/tag/User/#tag/User/operation/listUsers)
        self.users[user_id] = {"id": user_id, "status": status, "lastLogin": last_login,
                               "profile": {"login": login, "email": email or login}}

    def add_group(self, group_id: str, name: str, *, group_type: str = "OKTA_GROUP") -> None:
        self.groups[group_id] = {"id": group_id, "type": group_type, "profile": {"name": name}}

    def add_rule(self, rule_id: str, group_ids: list[str], *, status: str = "ACTIVE") -> None:
        self.rules.append({"type": "group_rule", "id": rule_id, "status": status, "name": rule_id,
                           "actions": {"assignUserToGroups": {"groupIds": group_ids}}})

    def add_service_app(self, client_id: str, public_key: Any, *, key_id: str | None = None,
                        scopes: tuple[str, ...] = ("okta.users.manage", "okta.groups.manage")) -> None:
        """Register an API Services app with "Public key / Private key" client authentication."""
        self.service_apps[client_id] = (public_key, key_id, set(scopes))

    def throttle_next(self, *reset_in_seconds: int) -> None:
        self._throttled.extend(reset_in_seconds)

    def fail_requests_containing(self, fragment: str, status: int) -> None:
        self._failures[fragment] = status

    def requests(self) -> list[tuple[str, str]]:
        return [(c.request.method, c.request.url.path + (f"?{c.request.url.query.decode()}"
                                                          if c.request.url.query else ""))
                for c in self.router.calls]

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests() if r[0] != "GET"]

    # -- routes --------------------------------------------------------------------------------
    def _install(self, router: respx.Router) -> None:
        routes = [
            ("GET", r"/api/v1/users/me", self._me),
            ("GET", r"/api/v1/users", self._search_users),
            ("GET", r"/api/v1/users/(?P<uid>[^/]+)/groups", self._user_groups),
            ("POST", r"/api/v1/users/(?P<uid>[^/]+)/lifecycle/(?P<op>suspend|unsuspend|unlock|deactivate)",
             self._lifecycle),
            ("DELETE", r"/api/v1/users/(?P<uid>[^/]+)/sessions", self._clear_sessions),
            ("GET", r"/api/v1/users/(?P<uid>[^/]+)", self._get_user),
            ("GET", r"/api/v1/groups/rules", self._list_rules),
            ("GET", r"/api/v1/groups", self._list_groups),
            ("GET", r"/api/v1/groups/(?P<gid>[^/]+)/users", self._group_users),
            ("PUT", r"/api/v1/groups/(?P<gid>[^/]+)/users/(?P<uid>[^/]+)", self._add_member),
            ("DELETE", r"/api/v1/groups/(?P<gid>[^/]+)/users/(?P<uid>[^/]+)", self._remove_member),
            ("GET", r"/api/v1/groups/(?P<gid>[^/]+)", self._get_group),
        ]
        mount(router, ORG_URL, routes, self._guarded)
        router.route(method="POST", url=TOKEN_URL).mock(side_effect=self._token)

    def _guarded(self, handler):
        def respond(request: httpx.Request, **kwargs) -> httpx.Response:
            reset = int(time.time()) + 60
            limits = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "599", "X-Rate-Limit-Reset": str(reset)}
            authorization = request.headers.get("authorization", "")
            if authorization.startswith("Bearer "):
                scopes = self.access_tokens.get(authorization.removeprefix("Bearer "))
                if scopes is None:
                    return okta_error(401, "E0000011", "Invalid token provided", limits)
                if not self._scope_allows(scopes, request):
                    return okta_error(403, "E0000006", "You do not have permission to perform the requested action",
                                      {**limits, "WWW-Authenticate": 'Bearer error="insufficient_scope"'})
            elif authorization != f"SSWS {self.token}":
                return okta_error(401, "E0000011", "Invalid token provided", limits)
            if self._throttled:
                reset = int(time.time()) + self._throttled.pop(0)
                return okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                                  {**limits, "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)})
            for fragment, status in self._failures.items():
                if fragment in str(request.url):
                    return okta_error(status, "E0000009", "Internal Server Error", limits)
            response = handler(request, **kwargs)
            response.headers.update(limits)
            return response
        return respond

    @staticmethod
    def _scope_allows(scopes: set[str], request: httpx.Request) -> bool:
        resource = "groups" if request.url.path.startswith("/api/v1/groups") else "users"
        needed = {f"okta.{resource}.manage"} if request.method != "GET" else {
            f"okta.{resource}.read", f"okta.{resource}.manage"}
        return bool(scopes & needed)

    def _oauth_error(self, status: int, error: str, description: str) -> httpx.Response:
        return httpx.Response(status, json={"error": error, "error_description": description})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self._oauth_error(400, "invalid_request", "The request is not form-encoded.")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return self._oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE or not form.get("client_assertion"):
            return self._oauth_error(401, "invalid_client", "Client authentication failed.")
        try:
            unverified = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            app = self.service_apps.get(str(unverified.get("iss")))
            if app is None:
                return self._oauth_error(401, "invalid_client", "The client_id is not valid.")
            public_key, kid, granted = app
            if kid is not None and jwt.get_unverified_header(form["client_assertion"]).get("kid") != kid:
                return self._oauth_error(401, "invalid_client", "The client_assertion kid does not match a key.")
            claims = jwt.decode(form["client_assertion"], public_key, algorithms=["RS256"], audience=TOKEN_URL,
                                issuer=unverified["iss"], options={"require": ["iss", "sub", "aud", "exp", "jti"]})
        except jwt.InvalidTokenError as exc:
            return self._oauth_error(401, "invalid_client", f"The client_assertion is not valid: {exc}")
        if claims["sub"] != claims["iss"] or claims["exp"] - claims.get("iat", time.time()) > 3600:
            return self._oauth_error(401, "invalid_client", "The client_assertion claims are not valid.")
        if claims["jti"] in self.used_jtis:
            return self._oauth_error(401, "invalid_client", "The client_assertion token has already been used.")
        self.used_jtis.add(claims["jti"])
        asked = set(form.get("scope", "").split())
        if not asked or asked - granted:
            return self._oauth_error(400, "invalid_scope",
                                     f"The following scopes are not allowed: {' '.join(sorted(asked - granted))}")
        token = secrets.token_urlsafe(24)
        self.access_tokens[token] = asked
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token,
                                         "scope": " ".join(sorted(asked))})

    def _user_or_404(self, uid: str) -> dict[str, Any] | httpx.Response:
        user = self.users.get(uid) or next((u for u in self.users.values() if u["profile"]["login"] == uid), None)
        return user or okta_error(404, "E0000007", f"Not found: Resource not found: {uid} (User)")

    def _group_or_404(self, gid: str) -> dict[str, Any] | httpx.Response:
        return self.groups.get(gid) or okta_error(404, "E0000007", f"Not found: Resource not found: {gid} (UserGroup)")

    def _me(self, request):
        return httpx.Response(200, json={"id": "00uadmin", "status": "ACTIVE", "profile": {"login": "bot@acme.test"}})

    def _search_users(self, request):
        if "search" not in request.url.params:  # list every user: limit <= 200, Link rel="next"
            return self._page(request, list(self.users.values()))
        values = re.findall(r'"((?:[^"\\]|\\.)*)"', request.url.params.get("search", ""))
        wanted = {v.replace('\\"', '"').lower() for v in values}
        found = [u for u in self.users.values()
                 if u["profile"]["login"].lower() in wanted or u["profile"]["email"].lower() in wanted]
        return httpx.Response(200, json=found)

    def _get_user(self, request, uid):
        user = self._user_or_404(uid)
        return user if isinstance(user, httpx.Response) else httpx.Response(200, json=user)

    def _page(self, request, items):
        page, headers = link_page(request, items, size_param="limit", cursor_param="after",
                                  default_size=200, max_size=200)
        return httpx.Response(200, json=page, headers=headers)

    def _user_groups(self, request, uid):
        user = self._user_or_404(uid)
        if isinstance(user, httpx.Response):
            return user
        return self._page(request, [g for gid, g in self.groups.items() if user["id"] in self.members[gid]])

    def _group_users(self, request, gid):
        group = self._group_or_404(gid)
        if isinstance(group, httpx.Response):
            return group
        return self._page(request, [self.users[uid] for uid in self.members[gid]])

    def _list_groups(self, request):
        return self._page(request, list(self.groups.values()))

    def _list_rules(self, request):
        return self._page(request, self.rules)

    def _get_group(self, request, gid):
        group = self._group_or_404(gid)
        return group if isinstance(group, httpx.Response) else httpx.Response(200, json=group)

    def _membership_target(self, gid, uid):
        group, user = self._group_or_404(gid), self._user_or_404(uid)
        for found in (group, user):
            if isinstance(found, httpx.Response):
                return found
        return None

    def _add_member(self, request, gid, uid):
        missing = self._membership_target(gid, uid)
        if missing is None and uid not in self.members[gid]:
            self.members[gid].append(uid)
        return missing or httpx.Response(204)

    def _remove_member(self, request, gid, uid):
        missing = self._membership_target(gid, uid)
        if missing is None and uid in self.members[gid]:
            self.members[gid].remove(uid)
        return missing or httpx.Response(204)

    def _lifecycle(self, request, uid, op):
        user = self._user_or_404(uid)
        if isinstance(user, httpx.Response):
            return user
        allowed, after = LIFECYCLE[op]
        if user["status"] not in allowed:
            return okta_error(400, "E0000001", f"Api validation failed: cannot {op} a {user['status']} user")
        user["status"] = after
        return httpx.Response(200, json={})

    def _clear_sessions(self, request, uid):
        user = self._user_or_404(uid)
        return user if isinstance(user, httpx.Response) else httpx.Response(204)
