"""Microsoft Entra ID groups and accounts through Microsoft Graph (app-only, client credentials).

Target ref: a group object id. Principal id: the user's object id.

Tokens come from MSAL (``msal.ConfidentialClientApplication.acquire_token_for_client``), which
signs the certificate assertion, reads the authority's OpenID metadata and keeps the token in its
cache until it nears expiry. Credentials: a client secret, or a certificate (``certificate_key``,
the PEM private key, and ``certificate_thumbprint``, its SHA-1 thumbprint as the portal shows it),
which Microsoft recommends over secrets. The authority is ``login_url`` + tenant, so national
clouds (login.microsoftonline.us, login.chinacloudapi.cn) and the tests' fake work alike; MSAL's
HTTP goes through our ApiClient, so its calls get the same retries and error kinds as Graph's.

Quirks handled:

* A group is preflighted (and cached for ``group_cache_seconds``): dynamic-membership groups,
  groups synced from on-premises AD, and mail-enabled security groups or distribution lists
  (managed in Exchange Online) cannot be changed through Graph → ManagedExternally.
* Adding an existing member answers 400 with the generic ``Request_BadRequest`` code; only the
  message "One or more added object references already exist" says it is a duplicate → ALREADY.
* Removing a non-member answers 404 ``Request_ResourceNotFound`` → ALREADY (the group itself was
  found by the preflight).
* 429 (and 503) with ``Retry-After``: honoured, or raised as RateLimited when long.
* Every call carries ``client-request-id`` = the action id (as a GUID), so a Graph support ticket
  or the tenant's audit log can be matched to our provisioning action.
* ``is_granted`` uses ``$filter=id eq`` on the members collection, an advanced query that Graph
  answers from an eventually consistent index: a change made seconds ago may not show yet.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import msal
import pydantic
from cryptography.hazmat.primitives import serialization

from connectors.activity import next_link_page, parse_time
from connectors.base import (
    ActionResult,
    Activity,
    ActivityMeaning,
    ActivityPage,
    Capabilities,
    Check,
    Connector,
    Outcome,
    PrincipalRef,
    Subject,
    Target,
)
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    ConfigError,
    ConnectorError,
    ManagedExternally,
    PrincipalNotFound,
    TargetNotFound,
    TransientError,
)
from connectors.http import ApiClient, raise_for_status
from connectors.targets import EntraTarget
from connectors.vendor_http import BearerTokenAuth, json_body, pages, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

DUPLICATE_MEMBER = "added object references already exist"
GROUP_FIELDS = "id,displayName,groupTypes,onPremisesSyncEnabled,mailEnabled,securityEnabled"


class EntraOptions(VendorOptions):
    tenant_id: str = pydantic.Field(min_length=1)
    client_id: str = pydantic.Field(min_length=1)
    # A client secret, or a certificate: its PEM private key and its SHA-1 thumbprint (hex).
    client_secret: pydantic.SecretStr | None = None
    certificate_key: pydantic.SecretStr | None = None
    certificate_thumbprint: str | None = pydantic.Field(None, pattern=r"^[0-9A-Fa-f]{40}$")
    graph_url: pydantic.HttpUrl = pydantic.HttpUrl("https://graph.microsoft.com/v1.0/")
    login_url: pydantic.HttpUrl = pydantic.HttpUrl("https://login.microsoftonline.com/")
    group_cache_seconds: float = pydantic.Field(300.0, ge=0)
    page_size: int = pydantic.Field(999, ge=1, le=999)
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)

    @pydantic.model_validator(mode="after")
    def _one_credential(self) -> EntraOptions:
        certificate = self.certificate_key is not None or self.certificate_thumbprint is not None
        if certificate and self.client_secret is not None:
            raise ValueError("give either client_secret or a certificate (certificate_key, certificate_thumbprint)")
        if certificate and (self.certificate_key is None or self.certificate_thumbprint is None):
            raise ValueError("a certificate needs both certificate_key and certificate_thumbprint")
        if not certificate and self.client_secret is None:
            raise ValueError("client_secret or a certificate (certificate_key, certificate_thumbprint) is required")
        return self


def graph_error(response: httpx.Response) -> tuple[str, str]:
    error = json_body(response).get("error")
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code", "")), str(error.get("message", ""))


def odata(path: str, **query: Any) -> str:
    """``path?$select=...`` encoded as Graph's documentation writes it ('$' kept, spaces as %20)."""
    return f"{path}?" + urlencode({f"${k}": v for k, v in query.items()}, quote_via=quote, safe="$',()")


def client_request_id(action_id: str) -> str:
    """Graph wants a GUID; action ids are UUIDs, anything else is mapped to a stable UUID."""
    try:
        return str(uuid.UUID(action_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"accessbot:{action_id}"))


class _MsalHttp:
    """The ``http_client`` MSAL asks for (``get``/``post`` answering ``status_code``, ``text``,
    ``headers``), over ApiClient: one HTTP stack, its retries, and respx-testable."""

    def __init__(self, api: ApiClient):
        self._api = api

    def get(self, url: str, params=None, headers=None, **kwargs) -> httpx.Response:
        return self._api.request("GET", url, params=params, headers=headers)

    def post(self, url: str, params=None, data=None, headers=None, **kwargs) -> httpx.Response:
        if isinstance(data, dict):  # MSAL passes the client assertion as bytes, which requests encodes as text
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return self._api.request("POST", url, params=params, data=data, headers=headers)

    def close(self) -> None:
        self._api.close()


# MSAL's error answers that mean the credentials or the app registration are wrong (OAuth 2.0 error codes).
CREDENTIAL_ERRORS = {"invalid_client", "unauthorized_client", "invalid_scope", "invalid_request", "invalid_grant",
                     "access_denied"}


class MsalTokens:
    """App-only Graph tokens from MSAL's confidential client and its token cache."""

    def __init__(self, config: EntraOptions, *, sleep: Callable[[float], None]):
        graph = httpx.URL(str(config.graph_url))
        self._scopes = [f"{graph.scheme}://{graph.host}/.default"]
        self._http = _MsalHttp(ApiClient(str(config.login_url), timeout=config.timeout_seconds,
                                         max_inline_wait=config.max_inline_wait_seconds, sleep=sleep))
        if config.certificate_key is not None:
            try:  # MSAL reads the key only when it signs: a bad one must fail now, as configuration
                serialization.load_pem_private_key(config.certificate_key.get_secret_value().encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"entra connector: certificate_key is not a PEM private key without a "
                                  f"passphrase ({type(exc).__name__})") from None
            credential: str | dict[str, str] = {"private_key": config.certificate_key.get_secret_value(),
                                                "thumbprint": config.certificate_thumbprint or ""}
        else:
            credential = config.client_secret.get_secret_value() if config.client_secret else ""
        self._client_id, self._credential = config.client_id, credential
        self._authority = str(config.login_url).rstrip("/") + "/" + segment(config.tenant_id)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _application(self) -> msal.ConfidentialClientApplication:
        # Built on first use: MSAL reads the authority's OpenID metadata when it is created, and
        # building a connector (policy check, start-up) must not touch the network.
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self._client_id, client_credential=self._credential, authority=self._authority,
                http_client=self._http, token_cache=msal.TokenCache(),
                # The authority is ours to name (national clouds, the fake): no discovery call to
                # login.microsoftonline.com to vouch for it.
                instance_discovery=False)
        return self._app

    def __call__(self) -> str:
        with self._lock:  # one token request at a time; MSAL's cache answers the others
            try:
                result = self._application().acquire_token_for_client(scopes=self._scopes)
            except ConnectorError:
                raise
            except (ValueError, KeyError) as exc:  # a malformed metadata or token answer
                raise TransientError(f"Entra token endpoint gave an unreadable answer ({type(exc).__name__})") \
                    from None
        if "access_token" in result:
            return str(result["access_token"])
        error = str(result.get("error", "unknown_error"))
        summary = str(result.get("error_description", "")).splitlines()[0:1]
        detail = f"Entra token request refused: {error} {summary[0] if summary else ''}".strip()
        if error in CREDENTIAL_ERRORS:
            raise AuthError(detail, provider_code=error)
        raise TransientError(detail, provider_code=error)

    def close(self) -> None:
        self._http.close()

# List users caps $top at 120 when $select has signInActivity (learn.microsoft.com/graph/api/user-list).
SIGN_IN_PAGE_SIZE = 120


class EntraConnector(Connector):
    kind = "entra"
    options_model = EntraOptions
    target_model = EntraTarget
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True,
                                last_activity=True)

    def __init__(self, name: str, options: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = parse_options(EntraOptions, self.kind, name, options)
        self._tokens = MsalTokens(self.config, sleep=sleep)
        self.api = ApiClient(str(self.config.graph_url), auth=BearerTokenAuth(self._tokens),
                             headers={"Accept": "application/json"}, timeout=self.config.timeout_seconds,
                             max_inline_wait=self.config.max_inline_wait_seconds, sleep=sleep)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._groups: dict[str, tuple[float, dict[str, Any]]] = {}

    def close(self) -> None:
        self.api.close()
        self._tokens.close()

    def check(self) -> list[Check]:
        def probe() -> str:
            response = self.api.request("GET", odata("groups", top=1, select="id"))
            raise_for_status(response, ok=(200,), what="GET /groups")
            return f"app {self.config.client_id} in tenant {self.config.tenant_id}"
        return probe_checks(probe)

    # -- accounts ------------------------------------------------------------------------------
    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        """``signInActivity.lastSignInDateTime`` of every user (interactive sign-ins to Entra ID, not use
        of one group's app). Needs the AuditLog.Read.All application permission (and Entra ID P1);
        without it Graph answers 403 and the collection fails: no release on missing data."""
        first = odata("users", select="id,userPrincipalName,mail,signInActivity", top=SIGN_IN_PAGE_SIZE)
        response = next_link_page(self.api, cursor, first, {}, what="list Entra ID users' sign-in activity")
        data = json_body(response)
        activity = tuple(
            Activity(PrincipalRef(id=u["id"], display=str(u.get("mail") or u.get("userPrincipalName") or u["id"])),
                     parse_time((u.get("signInActivity") or {}).get("lastSignInDateTime")))
            for u in data.get("value", []) if isinstance(u, dict) and u.get("id"))
        return ActivityPage(activity, data.get("@odata.nextLink") or None, ActivityMeaning.LOGIN,
                            "Microsoft Graph users.signInActivity.lastSignInDateTime")

    def resolve(self, subject: Subject) -> PrincipalRef:
        key = subject.handles.get("entra_id") or subject.email.strip()
        select = "id,userPrincipalName,mail,displayName"
        response = self.api.request("GET", odata(f"users/{segment(key)}", select=select))
        if response.status_code == 200:
            return self._user_ref(response.json())
        if response.status_code != 404:
            raise_for_status(response, ok=(200,), what=f"GET /users/{key}")
        quoted = key.replace("'", "''")
        response = self.api.request("GET", odata("users", select=select, filter=f"mail eq '{quoted}'"))
        raise_for_status(response, ok=(200,), what="GET /users?$filter=mail")
        users = response.json().get("value", [])
        if len(users) == 1:
            return self._user_ref(users[0])
        if not users:
            raise PrincipalNotFound(f"no Entra user with UPN or mail {key} in {self.name}")
        raise AmbiguousPrincipal(f"{len(users)} Entra users have the mail {key}; set handles.entra_id")

    @staticmethod
    def _user_ref(user: dict[str, Any]) -> PrincipalRef:
        return PrincipalRef(id=user["id"], display=user.get("userPrincipalName") or user.get("mail") or "")

    # -- groups --------------------------------------------------------------------------------
    def _group(self, group_id: str) -> dict[str, Any]:
        now = self._monotonic()
        with self._lock:
            cached = self._groups.get(group_id)
        if cached and now - cached[0] < self.config.group_cache_seconds:
            return cached[1]
        response = self.api.request("GET", odata(f"groups/{segment(group_id)}", select=GROUP_FIELDS))
        if response.status_code == 404:
            raise TargetNotFound(f"Entra group {group_id} not found in {self.name}", http_status=404,
                                 provider_code=graph_error(response)[0])
        raise_for_status(response, ok=(200,), what=f"GET /groups/{group_id}")
        group = response.json()
        with self._lock:
            self._groups[group_id] = (now, group)
        return group

    def _ensure_changeable(self, group_id: str) -> None:
        group = self._group(group_id)
        label = f"Entra group {group.get('displayName') or group_id}"
        types = group.get("groupTypes") or []
        if "DynamicMembership" in types:
            raise ManagedExternally(f"{label} has dynamic membership; its rule decides who is in it",
                                    provider_code="DynamicMembership")
        if group.get("onPremisesSyncEnabled"):
            raise ManagedExternally(f"{label} is synced from on-premises Active Directory; change it there",
                                    provider_code="onPremisesSyncEnabled")
        if group.get("mailEnabled") and "Unified" not in types:
            raise ManagedExternally(f"{label} is a mail-enabled security group or distribution list; "
                                    "Graph cannot change it (use Exchange Online)", provider_code="mailEnabled")

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._ensure_changeable(target.ref)
        path = f"groups/{segment(target.ref)}/members/$ref"
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"POST /{path} {principal.id}",))
        request_id = client_request_id(action_id)
        response = self.api.request("POST", path, headers={"client-request-id": request_id}, json={
            "@odata.id": f"{str(self.config.graph_url).rstrip('/')}/directoryObjects/{principal.id}"})
        code, message = graph_error(response)
        if response.status_code == 400 and DUPLICATE_MEMBER in message:
            return ActionResult(Outcome.ALREADY, target_ref=request_id, http_status=400, detail="already a member")
        if response.status_code == 404:
            raise PrincipalNotFound(f"Entra object {principal.id} not found: {message}", http_status=404,
                                    provider_code=code)
        raise_for_status(response, ok=(204,), what=f"POST /{path}")
        log.info("entra %s: added %s to %s (action %s)", self.name, principal.id, target.ref, action_id)
        return ActionResult(Outcome.APPLIED, target_ref=request_id, http_status=204)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._ensure_changeable(target.ref)
        path = f"groups/{segment(target.ref)}/members/{segment(principal.id)}/$ref"
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"DELETE /{path}",))
        request_id = client_request_id(action_id)
        response = self.api.request("DELETE", path, headers={"client-request-id": request_id})
        if response.status_code == 404:
            return ActionResult(Outcome.ALREADY, target_ref=request_id, http_status=404, detail="not a member")
        raise_for_status(response, ok=(204,), what=f"DELETE /{path}")
        log.info("entra %s: removed %s from %s (action %s)", self.name, principal.id, target.ref, action_id)
        return ActionResult(Outcome.APPLIED, target_ref=request_id, http_status=204)

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        quoted = principal.id.replace("'", "''")
        response = self.api.request(
            "GET", odata(f"groups/{segment(target.ref)}/members", filter=f"id eq '{quoted}'", count="true",
                         select="id"), headers={"ConsistencyLevel": "eventual"})
        if response.status_code == 404:
            raise TargetNotFound(f"Entra group {target.ref} not found in {self.name}", http_status=404)
        raise_for_status(response, ok=(200,), what=f"GET /groups/{target.ref}/members")
        return any(member.get("id") == principal.id for member in response.json().get("value", []))

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([member for page in self.member_pages(target) for member in page])

    def member_pages(self, target: Target) -> Iterator[list[PrincipalRef]]:
        def read_page(response: httpx.Response) -> tuple[list[Any], str | None]:
            data = response.json()
            return data.get("value", []), data.get("@odata.nextLink")

        def group_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise TargetNotFound(f"Entra group {target.ref} not found in {self.name}", http_status=404)

        first = odata(f"groups/{segment(target.ref)}/members", select="id,userPrincipalName,mail,displayName",
                      top=self.config.page_size)
        for members in pages(self.api, first, read_page, what=f"list members of Entra group {target.ref}",
                             on_status=group_missing):
            yield [PrincipalRef(id=m["id"], display=self._member_label(m)) for m in members]

    @staticmethod
    def _member_label(member: dict[str, Any]) -> str:
        kind = str(member.get("@odata.type", "#microsoft.graph.user")).rsplit(".", 1)[-1]
        name = member.get("userPrincipalName") or member.get("mail") or member.get("displayName") or ""
        return name if kind == "user" else f"{kind}:{name}"

    # -- account-wide --------------------------------------------------------------------------
    def _set_enabled(self, principal: PrincipalRef, enabled: bool, action_id: str, dry_run: bool) -> ActionResult:
        path = f"users/{segment(principal.id)}"
        response = self.api.request("GET", odata(path, select="id,accountEnabled"))
        if response.status_code == 404:
            raise PrincipalNotFound(f"Entra user {principal.id} not found in {self.name}", http_status=404)
        raise_for_status(response, ok=(200,), what=f"GET /{path}")
        if bool(response.json().get("accountEnabled")) is enabled:
            return settled("enabled" if enabled else "disabled", dry_run=dry_run)
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"PATCH /{path} accountEnabled={str(enabled).lower()}",))
        response = self.api.request("PATCH", path, json={"accountEnabled": enabled},
                                    headers={"client-request-id": client_request_id(action_id)})
        raise_for_status(response, ok=(204,), what=f"PATCH /{path}")
        log.info("entra %s: accountEnabled=%s on %s (action %s)", self.name, enabled, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=204)

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_enabled(principal, False, action_id, dry_run)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_enabled(principal, True, action_id, dry_run)

    def end_sessions(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        path = f"users/{segment(principal.id)}/revokeSignInSessions"
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"POST /{path}",))
        response = self.api.request("POST", path, headers={"client-request-id": client_request_id(action_id)})
        if response.status_code == 404:
            raise PrincipalNotFound(f"Entra user {principal.id} not found in {self.name}", http_status=404)
        raise_for_status(response, ok=(200, 204), what=f"POST /{path}")
        log.info("entra %s: revoked sign-in sessions of %s (action %s)", self.name, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=response.status_code)

    def describe(self, target: Target) -> str:
        return f"{self.name}: Entra group {target.ref}"
