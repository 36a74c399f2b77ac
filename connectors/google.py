"""Google Workspace groups through the Admin SDK Directory API (own httpx client).

Target ref: a group key (the group's e-mail address or id); ``target.options.role`` may be
MEMBER (default), MANAGER or OWNER. Principal id: the user's primary e-mail, lower-cased.

Credentials: a service-account key (JSON) with domain-wide delegation, impersonating an admin
(``admin_email``). The access token comes from google-auth; its token request goes through httpx
too, so there is one HTTP stack and tests need no network.

Quirks handled:

* Insert of an existing member → 409 ``duplicate`` "Member already exists.", whatever its role:
  the member is then read, and a lower role is raised with members.patch (a higher one is kept).
* Revoking a role the person still holds another way (``target.retained``: a MEMBER grant beside
  the MANAGER one being revoked) demotes with members.patch instead of deleting the membership.
* Delete of a non-member → 404 "Resource Not Found: memberKey" → ALREADY, whereas
  "Resource Not Found: groupKey" → TargetNotFound. The message is the only place that says which.
* Throttling is a 403 with reason ``userRateLimitExceeded``/``rateLimitExceeded``/``quotaExceeded``
  (or a 429): classified by reason, not by status, so a real 403 stays an AuthError.
* Groups another system fills (GCDS, dynamic groups) are not marked in the Directory API: list
  them in ``externally_managed_groups`` and they are refused as ManagedExternally before any write.
* ``is_granted`` reads the direct membership (``members/{memberKey}``) rather than ``hasMember``:
  hasMember also counts membership through nested groups, which revoke cannot remove, and it
  answers 400 for addresses outside the domain.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import google.auth.exceptions
import google.auth.transport
import httpx
import pydantic
from google.oauth2 import service_account

from connectors.activity import parse_time
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
    AuthError,
    ConfigError,
    InvalidRequest,
    ManagedExternally,
    NotFound,
    PrincipalNotFound,
    TargetNotFound,
    TransientError,
)
from connectors.http import ApiClient, parse_retry_after, raise_for_status
from connectors.targets import GoogleTarget
from connectors.vendor_http import BearerTokenAuth, json_body, pages, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/admin.directory.group.member",  # insert/delete/list members
    "https://www.googleapis.com/auth/admin.directory.user",  # resolve users, suspend
    "https://www.googleapis.com/auth/admin.directory.user.security",  # users.signOut
)
RATE_LIMIT_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"}
# members resource "role" (developers.google.com/admin-sdk/directory/reference/rest/v1/members):
# an OWNER can do what a MANAGER can, a MANAGER what a MEMBER can.
ROLE_RANK = {"MEMBER": 0, "MANAGER": 1, "OWNER": 2}


class GoogleOptions(VendorOptions):
    # The key file's JSON text; named "...key" so the config loader insists on a {file:}/{env:} reference.
    service_account_key: pydantic.SecretStr | None = None
    admin_email: str = pydantic.Field(pattern=r"^[^@\s]+@[^@\s]+$")
    customer: str = "my_customer"
    api_url: pydantic.HttpUrl = pydantic.HttpUrl("https://admin.googleapis.com/admin/directory/v1/")
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    default_role: Literal["MEMBER", "MANAGER", "OWNER"] = "MEMBER"
    allow_external_members: bool = False  # addresses outside the Workspace may be added as is
    # Groups another system fills (GCDS from AD, Cloud Identity dynamic groups, an HR sync): fnmatch
    # patterns on the group key. The Directory API does not say which groups those are.
    externally_managed_groups: tuple[str, ...] = ()
    page_size: int = pydantic.Field(200, ge=1, le=200)
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)


def google_error(response: httpx.Response) -> tuple[str, str]:
    """(reason, message) from Google's ``{"error": {"message", "errors": [{"reason"}]}}`` body."""
    error = json_body(response).get("error")
    if not isinstance(error, dict):
        return "", ""
    errors = error.get("errors") or [{}]
    return str(errors[0].get("reason", "")), str(error.get("message", ""))


def google_rate_limit_hint(response: httpx.Response) -> float | None:
    if response.status_code == 429 or (
            response.status_code == 403 and google_error(response)[0] in RATE_LIMIT_REASONS):
        wait = parse_retry_after(response.headers.get("retry-after"))
        return 0.0 if wait is None else wait
    return None


class _AuthRequest(google.auth.transport.Request):
    """google-auth's transport interface over httpx (google-auth would otherwise need requests)."""

    def __init__(self, client: httpx.Client):
        self._client = client

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        try:
            response = self._client.request(method, url, content=body, headers=headers, timeout=timeout or 15.0)
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(type(exc).__name__) from exc
        return _AuthResponse(response)


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response):
        self._response = response

    @property
    def status(self):
        return self._response.status_code

    @property
    def headers(self):
        return self._response.headers

    @property
    def data(self):
        return self._response.content


class ServiceAccountTokens:
    """Access tokens for a service account impersonating ``subject``, refreshed when expired."""

    def __init__(self, key_json: str, subject: str, scopes: tuple[str, ...], *, timeout: float = 15.0):
        try:
            info = json.loads(key_json)
            credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"service_account_key is not a usable service-account key ({type(exc).__name__})") \
                from None
        self._credentials = credentials.with_subject(subject)
        self._http = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if not self._credentials.valid:
                self._refresh()
            return self._credentials.token

    def _refresh(self) -> None:
        try:
            self._credentials.refresh(_AuthRequest(self._http))
        except google.auth.exceptions.RefreshError as exc:
            reason = str(exc.args[0]) if exc.args else "refused"
            if getattr(exc, "retryable", False):
                raise TransientError(f"Google token endpoint: {reason}") from None
            raise AuthError(f"Google refused the service-account token (check domain-wide delegation, "
                            f"scopes and admin_email): {reason}") from None
        except google.auth.exceptions.TransportError as exc:
            raise TransientError(f"Google token endpoint unreachable: {exc}") from None

    def close(self) -> None:
        self._http.close()


class GoogleConnector(Connector):
    kind = "google"
    options_model = GoogleOptions
    target_model = GoogleTarget
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True,
                                revokes_by_options=True, last_activity=True)

    def __init__(self, name: str, options: Mapping[str, Any], *,
                 token_provider: Callable[[], str] | None = None, sleep: Callable[[float], None] = time.sleep):
        super().__init__(name, options)
        self.config = parse_options(GoogleOptions, self.kind, name, options)
        self._tokens: ServiceAccountTokens | None = None
        if token_provider is None:
            if self.config.service_account_key is None:
                raise ConfigError(f"google connector {name!r}: service_account_key is required")
            self._tokens = ServiceAccountTokens(self.config.service_account_key.get_secret_value(),
                                                self.config.admin_email, self.config.scopes,
                                                timeout=self.config.timeout_seconds)
            token_provider = self._tokens
        self.api = ApiClient(str(self.config.api_url), auth=BearerTokenAuth(token_provider),
                             headers={"Accept": "application/json"}, timeout=self.config.timeout_seconds,
                             max_inline_wait=self.config.max_inline_wait_seconds,
                             rate_limit_hint=google_rate_limit_hint, sleep=sleep)

    def close(self) -> None:
        self.api.close()
        if self._tokens is not None:
            self._tokens.close()

    def check(self) -> list[Check]:
        def probe() -> str:
            response = self.api.request("GET", "users", params={
                "customer": self.config.customer, "maxResults": 1, "fields": "users(primaryEmail)"})
            raise_for_status(response, ok=(200,), what="GET /admin/directory/v1/users")
            return f"impersonating {self.config.admin_email}"
        return probe_checks(probe)

    # -- accounts ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        key = subject.handles.get("google") or subject.email.strip()
        response = self.api.request("GET", f"users/{segment(key)}",
                                    params={"fields": "id,primaryEmail,name(fullName),suspended"})
        if response.status_code == 404:
            if self.config.allow_external_members and "@" in key:
                return PrincipalRef(id=key.lower(), display=f"{key} (external)")
            raise PrincipalNotFound(f"no Google Workspace user {key} in {self.name}", http_status=404,
                                    provider_code="notFound")
        raise_for_status(response, ok=(200,), what=f"GET users/{key}")
        user = response.json()
        return PrincipalRef(id=user["primaryEmail"].lower(), display=user.get("name", {}).get("fullName", ""))

    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        """Directory API users ``lastLoginTime`` (a sign-in to Google, not use of a group's app);
        Google's 1970 epoch ("never") is unknown. ``cursor`` is Google's ``pageToken``."""
        params = {"customer": self.config.customer, "maxResults": 500,
                  "fields": "nextPageToken,users(primaryEmail,name(fullName),lastLoginTime)"}
        response = self.api.request("GET", "users", params={**params, **({"pageToken": cursor} if cursor else {})})
        raise_for_status(response, ok=(200,), what="list Google Workspace users")
        data = json_body(response)
        activity = tuple(
            Activity(PrincipalRef(id=str(u["primaryEmail"]).lower(), display=u.get("name", {}).get("fullName", "")),
                     parse_time(u.get("lastLoginTime")))
            for u in data.get("users", []) if isinstance(u, dict) and u.get("primaryEmail"))
        return ActivityPage(activity, data.get("nextPageToken") or None, ActivityMeaning.LOGIN,
                            "Google Directory API users.lastLoginTime")

    # -- groups --------------------------------------------------------------------------------
    def _missing(self, response: httpx.Response, *, group: str, member: str) -> NotFound:
        reason, message = google_error(response)
        if "groupKey" in message:
            return TargetNotFound(f"Google group {group} not found in {self.name}", http_status=404,
                                  provider_code=reason)
        if "memberKey" in message:
            return PrincipalNotFound(f"{member} is not a known Google account or group member", http_status=404,
                                     provider_code=reason)
        return NotFound(f"Google answered 404: {message}", http_status=404, provider_code=reason)

    def _ensure_changeable(self, group_key: str) -> None:
        for pattern in self.config.externally_managed_groups:
            if fnmatch.fnmatchcase(group_key.lower(), pattern.lower()):
                raise ManagedExternally(f"Google group {group_key} is filled by another system (matches "
                                        f"externally_managed_groups {pattern!r}); change it there")

    def _role(self, options: Mapping[str, Any]) -> str:
        role = str(options.get("role") or self.config.default_role).upper()
        if role not in ROLE_RANK:
            raise InvalidRequest(f"Google group role must be MEMBER, MANAGER or OWNER, not {role!r}")
        return role

    def _member(self, principal: PrincipalRef, target: Target) -> dict[str, Any] | None:
        """The direct membership (members.get), or None when the person is not a direct member."""
        path = f"groups/{segment(target.ref)}/members/{segment(principal.id)}"
        response = self.api.request("GET", path, params={"fields": "email,role,status"})
        if response.status_code == 404:
            missing = self._missing(response, group=target.ref, member=principal.id)
            if isinstance(missing, PrincipalNotFound):
                return None
            raise missing
        raise_for_status(response, ok=(200,), what=f"GET {path}")
        return json_body(response)

    def _set_role(self, principal: PrincipalRef, target: Target, role: str, action_id: str) -> ActionResult:
        """members.patch: change the role of an existing membership, nothing else."""
        path = f"groups/{segment(target.ref)}/members/{segment(principal.id)}"
        response = self.api.request("PATCH", path, json={"role": role})
        if response.status_code == 404:
            raise self._missing(response, group=target.ref, member=principal.id)
        raise_for_status(response, ok=(200,), what=f"PATCH {path}")
        log.info("google %s: set %s's role in %s to %s (action %s)", self.name, principal.id, target.ref, role,
                 action_id)
        return ActionResult(Outcome.APPLIED, http_status=200, detail=f"role set to {role}")

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._ensure_changeable(target.ref)
        role = self._role(target.options)
        path = f"groups/{segment(target.ref)}/members"
        if dry_run:
            member = self._member(principal, target)
            if member is None:
                return ActionResult(Outcome.PLANNED, planned_calls=(f"POST {path} email={principal.id} role={role}",))
            if ROLE_RANK.get(str(member.get("role")), 0) >= ROLE_RANK[role]:
                return settled(f"already {member.get('role')} of the group", dry_run=True)
            return ActionResult(Outcome.PLANNED, planned_calls=(f"PATCH {path}/{principal.id} role={role}",))
        response = self.api.request("POST", path, json={"email": principal.id, "role": role})
        if response.status_code == 409:
            # members.insert refuses any existing member, whatever its role: read the role.
            member = self._member(principal, target)
            if member is None:  # removed in between: insert again on the next attempt
                raise TransientError(f"{principal.id} was reported a member of {target.ref} and then was not")
            current = str(member.get("role", "MEMBER"))
            if ROLE_RANK.get(current, 0) >= ROLE_RANK[role]:
                return ActionResult(Outcome.ALREADY, http_status=409, detail=f"already {current} of the group")
            return self._set_role(principal, target, role, action_id)
        if response.status_code == 404:
            raise self._missing(response, group=target.ref, member=principal.id)
        raise_for_status(response, ok=(200,), what=f"POST {path}")
        log.info("google %s: added %s to %s as %s (action %s)", self.name, principal.id, target.ref, role, action_id)
        return ActionResult(Outcome.APPLIED, http_status=200)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        """Remove the membership, or, when other grants still give a role in this group
        (``target.retained``), demote to the highest of those roles."""
        self._ensure_changeable(target.ref)
        path = f"groups/{segment(target.ref)}/members/{segment(principal.id)}"
        kept = max((self._role(options) for options in target.retained), key=ROLE_RANK.__getitem__, default=None)
        if kept is not None:
            member = self._member(principal, target)
            if member is None:
                return settled("not a member", dry_run=dry_run)
            current = str(member.get("role", "MEMBER"))
            if ROLE_RANK.get(current, 0) <= ROLE_RANK[kept]:
                return settled(f"{current} is what another grant still gives", dry_run=dry_run)
            if dry_run:
                return ActionResult(Outcome.PLANNED, planned_calls=(f"PATCH {path} role={kept}",))
            result = self._set_role(principal, target, kept, action_id)
            return ActionResult(Outcome.APPLIED, http_status=result.http_status,
                                detail=f"demoted from {current} to {kept}, which another grant still gives")
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"DELETE {path}",))
        response = self.api.request("DELETE", path)
        if response.status_code == 404:
            missing = self._missing(response, group=target.ref, member=principal.id)
            if isinstance(missing, PrincipalNotFound):
                return ActionResult(Outcome.ALREADY, http_status=404, detail="not a member")
            raise missing
        raise_for_status(response, ok=(200, 204), what=f"DELETE {path}")
        log.info("google %s: removed %s from %s (action %s)", self.name, principal.id, target.ref, action_id)
        return ActionResult(Outcome.APPLIED, http_status=response.status_code)

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        """A direct member with at least the target's role."""
        member = self._member(principal, target)
        return member is not None and ROLE_RANK.get(str(member.get("role")), 0) >= ROLE_RANK[self._role(target.options)]

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([member for page in self.member_pages(target) for member in page])

    def member_pages(self, target: Target) -> Iterator[list[PrincipalRef]]:
        def read_page(response: httpx.Response) -> tuple[list[Any], str | None]:
            data = response.json()
            token = data.get("nextPageToken")
            return data.get("members", []), (str(response.request.url.copy_merge_params({"pageToken": token}))
                                             if token else None)

        def group_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise self._missing(response, group=target.ref, member="")

        least = ROLE_RANK[self._role(target.options)]  # a MANAGER entitlement is held by managers and owners
        for members in pages(self.api, f"groups/{segment(target.ref)}/members", read_page,
                             params={"maxResults": self.config.page_size}, what=f"list members of {target.ref}",
                             on_status=group_missing):
            yield [PrincipalRef(id=str(m.get("email") or m["id"]).lower(),
                                display=m.get("email", "") if m.get("type", "USER") == "USER"
                                else f"{m.get('type', '').lower()}:{m.get('email') or m['id']}")
                   for m in members if ROLE_RANK.get(str(m.get("role", "MEMBER")), 0) >= least]

    # -- account-wide --------------------------------------------------------------------------
    def _set_suspended(self, principal: PrincipalRef, suspended: bool, action_id: str,
                       dry_run: bool) -> ActionResult:
        path = f"users/{segment(principal.id)}"
        response = self.api.request("GET", path, params={"fields": "suspended"})
        if response.status_code == 404:
            raise PrincipalNotFound(f"no Google Workspace user {principal.id}", http_status=404)
        raise_for_status(response, ok=(200,), what=f"GET {path}")
        if bool(response.json().get("suspended")) is suspended:
            return settled("suspended" if suspended else "not suspended", dry_run=dry_run)
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"PUT {path} suspended={str(suspended).lower()}",))
        response = self.api.request("PUT", path, json={"suspended": suspended})
        raise_for_status(response, ok=(200,), what=f"PUT {path}")
        log.info("google %s: set suspended=%s on %s (action %s)", self.name, suspended, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=200)

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_suspended(principal, True, action_id, dry_run)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_suspended(principal, False, action_id, dry_run)

    def end_sessions(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        path = f"users/{segment(principal.id)}/signOut"
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"POST {path}",))
        response = self.api.request("POST", path)
        if response.status_code == 404:
            raise PrincipalNotFound(f"no Google Workspace user {principal.id}", http_status=404)
        raise_for_status(response, ok=(200, 204), what=f"POST {path}")
        log.info("google %s: signed %s out (action %s)", self.name, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=response.status_code)

    def describe(self, target: Target) -> str:
        return f"{self.name}: Google group {target.ref}"
