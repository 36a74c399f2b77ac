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
* Microsoft identity platform (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
  certificate-credentials, v2-protocols-oidc):
  - GET {login}/{tenant}/v2.0/.well-known/openid-configuration → the OpenID metadata (MSAL reads
    ``token_endpoint`` from it).
  - POST {login}/{tenant}/oauth2/v2.0/token, form-encoded ``grant_type=client_credentials``,
    ``client_id``, ``scope`` and either ``client_secret`` (a wrong one → 401 ``invalid_client``
    AADSTS7000215) or ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
    with ``client_assertion``: a JWT signed (RS256/PS256) by a certificate registered on the app,
    named in the header by ``x5t`` (base64url SHA-1 thumbprint) or ``x5t#S256``, with ``aud`` =
    the token endpoint, ``iss`` = ``sub`` = the client id, ``exp``, ``nbf`` and ``jti``. An
    unregistered certificate → 401 AADSTS700027; a bad signature → 401 AADSTS7000274; an
    expired or future assertion → 401 AADSTS700024 (the AADSTS error reference's codes).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import respx

from tests.support.vendors.routing import mount

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "app-secret-value"
ACCESS_TOKEN = "eyJ0eXAi.fake-graph-token"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DUPLICATE = "One or more added object references already exist for the following modified properties: 'members'."


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"code": code, "message": message, "innerError": {
        "date": "2026-01-01T00:00:00", "request-id": "r-1", "client-request-id": "c-1"}}})


def missing(object_id: str) -> httpx.Response:
    return graph_error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist or one of its "
                                                         "queried reference-property objects are not present.")


class EntraFake:
    def __init__(self, router: respx.Router, *, login: str = LOGIN):
        self.login = login
        self.certificates: dict[str, Any] = {}  # base64url SHA-1 thumbprint -> public key
        self.certificates_s256: dict[str, Any] = {}
        self.verified_assertions: list[dict[str, Any]] = []
        self.token_lifetime = 3599
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.token_requests: list[dict[str, list[str]]] = []
        self._throttled: list[int] = []
        self._failures: list[httpx.Response] = []
        self.sign_ins: dict[str, dict[str, Any]] = {}
        self.audit_log_read = True  # the app holds AuditLog.Read.All (signInActivity needs it)
        self.router = router
        router.post(f"{login}/{TENANT}/oauth2/v2.0/token").mock(side_effect=self._token)
        router.get(f"{login}/{TENANT}/v2.0/.well-known/openid-configuration").mock(side_effect=self._metadata)
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
    def add_user(self, object_id: str, upn: str, *, mail: str | None = None, enabled: bool = True,
                 last_sign_in: str | None = None) -> None:
        self.users[object_id] = {"id": object_id, "userPrincipalName": upn, "mail": mail or upn,
                                 "displayName": upn.split("@")[0], "accountEnabled": enabled}
        # signInActivity (learn.microsoft.com/graph/api/resources/signinactivity): returned only on
        # $select; lastSignInDateTime null when the user never signed in (or before April 2020).
        self.sign_ins[object_id] = {"lastSignInDateTime": last_sign_in, "lastNonInteractiveSignInDateTime": None}

    def add_group(self, object_id: str, name: str, *, group_types: tuple[str, ...] = (), mail_enabled: bool = False,
                  on_premises: bool | None = None) -> None:
        self.groups[object_id] = {"id": object_id, "displayName": name, "groupTypes": list(group_types),
                                  "mailEnabled": mail_enabled, "securityEnabled": True,
                                  "onPremisesSyncEnabled": on_premises}
        self.members[object_id] = []

    def add_certificate(self, certificate: Any) -> None:
        """Upload a certificate's public part to the app registration (a cryptography x509 certificate)."""
        from cryptography.hazmat.primitives import hashes

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        self.certificates[b64(certificate.fingerprint(hashes.SHA1()))] = certificate.public_key()  # noqa: S303
        self.certificates_s256[b64(certificate.fingerprint(hashes.SHA256()))] = certificate.public_key()

    def throttle_next(self, *retry_after: int) -> None:
        self._throttled.extend(retry_after)

    def fail_next(self, status: int, code: str, message: str) -> None:
        self._failures.append(graph_error(status, code, message))

    def graph_calls(self) -> list[httpx.Request]:
        return [c.request for c in self.router.calls if c.request.url.host == "graph.microsoft.com"]

    def token_calls(self) -> list[httpx.Request]:
        return [c.request for c in self.router.calls if c.request.url.path.endswith("/oauth2/v2.0/token")]

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path.removeprefix("/v1.0")) for r in self.graph_calls() if r.method != "GET"]

    # -- endpoints -----------------------------------------------------------------------------
    def _metadata(self, request: httpx.Request) -> httpx.Response:
        base = f"{self.login}/{TENANT}"
        return httpx.Response(200, json={
            "token_endpoint": f"{base}/oauth2/v2.0/token", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{self.login}/00000000-0000-0000-0000-00000000c0de/v2.0",
            "jwks_uri": f"{self.login}/{TENANT}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"]})

    @staticmethod
    def _refused(code: int, description: str) -> httpx.Response:
        return httpx.Response(401, json={
            "error": "invalid_client", "error_codes": [code],
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\n"
                                 "Timestamp: 2026-01-01 00:00:00Z"})

    def _assertion_refusal(self, assertion: str) -> httpx.Response | None:
        header = jwt.get_unverified_header(assertion)
        # Base64url thumbprints; MSAL pads them with '=' and Entra accepts that, so padding is ignored.
        key = self.certificates.get(str(header.get("x5t", "")).rstrip("=")) or \
            self.certificates_s256.get(str(header.get("x5t#S256", "")).rstrip("="))
        if key is None:
            return self._refused(700027, "The certificate with identifier used to sign the client assertion is not "
                                         "registered on application.")
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256", "PS256"],
                                audience=f"{self.login}/{TENANT}/oauth2/v2.0/token", issuer=CLIENT_ID,
                                options={"require": ["aud", "iss", "sub", "exp", "jti"]})
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            return self._refused(700024, "Client assertion is not within its valid time range.")
        except jwt.InvalidSignatureError:
            return self._refused(7000274, "Client assertion contains an invalid signature.")
        except jwt.InvalidTokenError as exc:
            return self._refused(700023, f"Client assertion audience or claims are invalid ({exc}).")
        if claims["sub"] != CLIENT_ID:
            return self._refused(700021, "Client assertion application identifier doesn't match 'client_id'.")
        # The docs ask for a jti but do not say Entra refuses a reused one; MSAL reuses an assertion
        # for its lifetime, so no replay rule is enforced here.
        self.verified_assertions.append(claims)
        return None

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [CLIENT_ID]:
            return httpx.Response(400, json={"error": "invalid_request", "error_description":
                                             "AADSTS900144: The request body must contain 'grant_type' and a known "
                                             "'client_id'."})
        if "client_assertion" in form:
            if form.get("client_assertion_type") != [CLIENT_ASSERTION_TYPE]:
                return httpx.Response(400, json={"error": "invalid_request", "error_description":
                                                 "AADSTS50027: Invalid client_assertion_type."})
            refused = self._assertion_refusal(form["client_assertion"][0])
            if refused is not None:
                return refused
        elif form.get("client_secret") != [CLIENT_SECRET]:
            return self._refused(7000215, "Invalid client secret provided. Ensure the secret being sent in the "
                                          "request is the client secret value.")
        return httpx.Response(200, json={"token_type": "Bearer", "expires_in": self.token_lifetime, "ext_expires_in": self.token_lifetime,
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
        if "$filter" not in request.url.params:
            return self._list_users(request)
        wanted = request.url.params.get("$filter", "").removeprefix("mail eq '").removesuffix("'").replace("''", "'")
        return httpx.Response(200, json={"value": [u for u in self.users.values()
                                                   if u["mail"].lower() == wanted.lower()]})

    def _list_users(self, request):
        """List users (learn.microsoft.com/graph/api/user-list): ``$select=signInActivity`` needs
        AuditLog.Read.All (else 403 Authorization_RequestDenied) and caps ``$top`` at 120."""
        params = request.url.params
        with_sign_ins = "signInActivity" in params.get("$select", "")
        if with_sign_ins and not self.audit_log_read:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        size, start = min(int(params.get("$top", 100)), 120 if with_sign_ins else 999), int(params.get("$skiptoken", 0))
        users = [{**u, **({"signInActivity": self.sign_ins.get(u["id"])} if with_sign_ins else {})}
                 for u in self.users.values()]
        body: dict[str, Any] = {"value": users[start:start + size]}
        if start + size < len(users):
            body["@odata.nextLink"] = str(request.url.copy_merge_params({"$skiptoken": str(start + size)}))
        return httpx.Response(200, json=body)

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
