"""Microsoft Entra ID groups and accounts through Microsoft Graph (app-only, client credentials).

Target ref: a group object id. Principal id: the user's object id.

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
import pydantic

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    ManagedExternally,
    PrincipalNotFound,
    TargetNotFound,
)
from connectors.http import ApiClient, raise_for_status
from connectors.targets import EntraTarget
from connectors.vendor_http import BearerTokenAuth, json_body, paged, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

DUPLICATE_MEMBER = "added object references already exist"
GROUP_FIELDS = "id,displayName,groupTypes,onPremisesSyncEnabled,mailEnabled,securityEnabled"


class EntraOptions(VendorOptions):
    tenant_id: str = pydantic.Field(min_length=1)
    client_id: str = pydantic.Field(min_length=1)
    client_secret: pydantic.SecretStr
    graph_url: pydantic.HttpUrl = pydantic.HttpUrl("https://graph.microsoft.com/v1.0/")
    login_url: pydantic.HttpUrl = pydantic.HttpUrl("https://login.microsoftonline.com/")
    group_cache_seconds: float = pydantic.Field(300.0, ge=0)
    page_size: int = pydantic.Field(999, ge=1, le=999)
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)


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


class ClientCredentialsTokens:
    """App-only Graph tokens from the Microsoft identity platform, cached until a minute before expiry."""

    def __init__(self, config: EntraOptions, *, sleep: Callable[[float], None],
                 monotonic: Callable[[], float] = time.monotonic):
        self._config = config
        graph = httpx.URL(str(config.graph_url))
        self._scope = f"{graph.scheme}://{graph.host}/.default"
        self._login = ApiClient(str(config.login_url), timeout=config.timeout_seconds,
                                max_inline_wait=config.max_inline_wait_seconds, sleep=sleep)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or self._monotonic() >= self._token[1]:
                self._token = self._fetch()
            return self._token[0]

    def _fetch(self) -> tuple[str, float]:
        response = self._login.request("POST", f"{segment(self._config.tenant_id)}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": self._config.client_id,
            "client_secret": self._config.client_secret.get_secret_value(), "scope": self._scope})
        body = json_body(response)
        if response.status_code != 200 or "access_token" not in body:
            summary = str(body.get("error_description", "")).splitlines()[0:1]
            raise AuthError(f"Entra token request refused: {body.get('error', response.status_code)} "
                            f"{summary[0] if summary else ''}".strip(),
                            http_status=response.status_code, provider_code=str(body.get("error", "")))
        lifetime = float(body.get("expires_in", 3599))
        return str(body["access_token"]), self._monotonic() + max(0.0, lifetime - 60)

    def close(self) -> None:
        self._login.close()


class EntraConnector(Connector):
    kind = "entra"
    options_model = EntraOptions
    target_model = EntraTarget
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True)

    def __init__(self, name: str, options: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = parse_options(EntraOptions, self.kind, name, options)
        self._tokens = ClientCredentialsTokens(self.config, sleep=sleep, monotonic=monotonic)
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
        def read_page(response: httpx.Response) -> tuple[list[Any], str | None]:
            data = response.json()
            return data.get("value", []), data.get("@odata.nextLink")

        def group_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise TargetNotFound(f"Entra group {target.ref} not found in {self.name}", http_status=404)

        first = odata(f"groups/{segment(target.ref)}/members", select="id,userPrincipalName,mail,displayName",
                      top=self.config.page_size)
        members = list(paged(self.api, first, read_page, what=f"list members of Entra group {target.ref}",
                             on_status=group_missing))
        return iter([PrincipalRef(id=m["id"], display=self._member_label(m)) for m in members])

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
