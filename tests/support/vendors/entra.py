"""A stateful fake of the Microsoft Graph endpoints accessbot uses, plus the identity platform's
client-credentials token endpoint, mounted on respx.

From learn.microsoft.com/graph/api (group-post-members, group-delete-members, group-list-members,
user-get, user-update, user-revokesigninsessions, graph/throttling, aad-advanced-queries):
* POST /groups/{id}/members/$ref {"@odata.id": ".../directoryObjects/{id}"} → 204; an existing
  member → 400 ``Request_BadRequest`` "One or more added object references already exist for the
  following modified properties: 'members'." (microsoftgraph/microsoft-graph-docs#8637).
* DELETE /groups/{id}/members/{id}/$ref → 204; not a member → 404 ``Request_ResourceNotFound``
  (microsoftgraph/microsoft-graph-docs#9191).
* GET /groups/{id}/members: ``@odata.nextLink`` (absolute, with $skiptoken) until the last page;
  ``$filter``/``$count`` need ``ConsistencyLevel: eventual`` (else 400 Request_UnsupportedQuery).
* 429 ``TooManyRequests`` with Retry-After (seconds).
* Token: POST {login}/{tenant}/oauth2/v2.0/token; a wrong secret → 401 ``invalid_client`` AADSTS7000215.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx

from tests.support.vendors.routing import mount

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "app-secret-value"
ACCESS_TOKEN = "eyJ0eXAi.fake-graph-token"
DUPLICATE = "One or more added object references already exist for the following modified properties: 'members'."


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"code": code, "message": message, "innerError": {
        "date": "2026-01-01T00:00:00", "request-id": "r-1", "client-request-id": "c-1"}}})


def missing(object_id: str) -> httpx.Response:
    return graph_error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist or one of its "
                                                         "queried reference-property objects are not present.")


class EntraFake:
    def __init__(self, router: respx.Router):
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        self._throttled: list[int] = []
        self._failures: list[httpx.Response] = []
        self.router = router
        router.post(f"{LOGIN}/{TENANT}/oauth2/v2.0/token").mock(side_effect=self._token)
        mount(router, GRAPH, [
            ("GET", r"/groups", self._list_groups),
            ("GET", r"/groups/(?P<gid>[^/?]+)", self._get_group),
            ("POST", r"/groups/(?P<gid>[^/?]+)/members/\$ref", self._add_member),
            ("DELETE", r"/groups/(?P<gid>[^/?]+)/members/(?P<mid>[^/?]+)/\$ref", self._remove_member),
            ("GET", r"/groups/(?P<gid>[^/?]+)/members", self._list_members),
            ("GET", r"/users", self._filter_users),
            ("GET", r"/users/(?P<uid>[^/?]+)", self._get_user),
            ("PATCH", r"/users/(?P<uid>[^/?]+)", self._update_user),
            ("POST", r"/users/(?P<uid>[^/?]+)/revokeSignInSessions", self._revoke_sessions),
        ], self._guarded)

    # -- seeding and inspection ----------------------------------------------------------------
    def add_user(self, object_id: str, upn: str, *, mail: str | None = None, enabled: bool = True) -> None:
        self.users[object_id] = {"id": object_id, "userPrincipalName": upn, "mail": mail or upn,
                                 "displayName": upn.split("@")[0], "accountEnabled": enabled}

    def add_group(self, object_id: str, name: str, *, group_types: tuple[str, ...] = (), mail_enabled: bool = False,
                  on_premises: bool | None = None) -> None:
        self.groups[object_id] = {"id": object_id, "displayName": name, "groupTypes": list(group_types),
                                  "mailEnabled": mail_enabled, "securityEnabled": True,
                                  "onPremisesSyncEnabled": on_premises}
        self.members[object_id] = []

    def throttle_next(self, *retry_after: int) -> None:
        self._throttled.extend(retry_after)

    def fail_next(self, status: int, code: str, message: str) -> None:
        self._failures.append(graph_error(status, code, message))

    def graph_calls(self) -> list[httpx.Request]:
        return [c.request for c in self.router.calls if c.request.url.host == "graph.microsoft.com"]

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path.removeprefix("/v1.0")) for r in self.graph_calls() if r.method != "GET"]

    # -- endpoints -----------------------------------------------------------------------------
    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [CLIENT_SECRET]:
            return httpx.Response(401, json={
                "error": "invalid_client", "error_codes": [7000215],
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                                     "in the request is the client secret value.\r\nTrace ID: t-1\r\n"
                                     "Correlation ID: c-1\r\nTimestamp: 2026-01-01 00:00:00Z"})
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                         "access_token": ACCESS_TOKEN})

    def _guarded(self, handler):
        def respond(request: httpx.Request, **kwargs) -> httpx.Response:
            if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
            if self._throttled:
                return graph_error(429, "TooManyRequests", "Too many requests",
                                   {"Retry-After": str(self._throttled.pop(0))})
            if self._failures and request.method != "GET":
                return self._failures.pop(0)
            return handler(request, **kwargs)
        return respond

    def _list_groups(self, request):
        return httpx.Response(200, json={"value": [{"id": g} for g in list(self.groups)[:1]]})

    def _get_group(self, request, gid):
        group = self.groups.get(gid)
        return httpx.Response(200, json=group) if group else missing(gid)

    def _add_member(self, request, gid):
        if gid not in self.groups:
            return missing(gid)
        object_id = json.loads(request.content)["@odata.id"].rsplit("/", 1)[-1]
        if object_id not in self.users:
            return missing(object_id)
        if object_id in self.members[gid]:
            return graph_error(400, "Request_BadRequest", DUPLICATE)
        self.members[gid].append(object_id)
        return httpx.Response(204)

    def _remove_member(self, request, gid, mid):
        if gid not in self.groups or mid not in self.members[gid]:
            return missing(mid)
        self.members[gid].remove(mid)
        return httpx.Response(204)

    def _list_members(self, request, gid):
        if gid not in self.groups:
            return missing(gid)
        params = request.url.params
        users = [{"@odata.type": "#microsoft.graph.user", **self.users[m]} for m in self.members[gid]]
        if "$filter" in params:
            if request.headers.get("consistencylevel") != "eventual" or params.get("$count") != "true":
                return graph_error(400, "Request_UnsupportedQuery", "Unsupported Query.")
            wanted = params["$filter"].removeprefix("id eq '").removesuffix("'")
            return httpx.Response(200, json={"@odata.count": 1, "value": [u for u in users if u["id"] == wanted]})
        size, start = int(params.get("$top", 100)), int(params.get("$skiptoken", 0))
        body: dict[str, Any] = {"value": users[start:start + size]}
        if start + size < len(users):
            body["@odata.nextLink"] = str(request.url.copy_merge_params({"$skiptoken": str(start + size)}))
        return httpx.Response(200, json=body)

    def _find_user(self, key: str) -> dict[str, Any] | None:
        return self.users.get(key) or next((u for u in self.users.values()
                                            if u["userPrincipalName"].lower() == key.lower()), None)

    def _get_user(self, request, uid):
        user = self._find_user(uid)
        return httpx.Response(200, json=user) if user else missing(uid)

    def _filter_users(self, request):
        wanted = request.url.params.get("$filter", "").removeprefix("mail eq '").removesuffix("'").replace("''", "'")
        return httpx.Response(200, json={"value": [u for u in self.users.values()
                                                   if u["mail"].lower() == wanted.lower()]})

    def _update_user(self, request, uid):
        user = self._find_user(uid)
        if not user:
            return missing(uid)
        user.update(json.loads(request.content))
        return httpx.Response(204)

    def _revoke_sessions(self, request, uid):
        if not self._find_user(uid):
            return missing(uid)
        return httpx.Response(200, json={"@odata.context": f"{GRAPH}/$metadata#Edm.Boolean", "value": True})
