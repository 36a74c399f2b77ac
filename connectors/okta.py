"""Okta groups, through a thin httpx client on the Okta Management API.

Credentials: a scoped OAuth 2.0 access token for a service app (``client_id`` + ``private_key``,
private_key_jwt; what Okta recommends, see connectors.okta_oauth) or an ``SSWS`` API token.

Target ref: an Okta group id (``00g...``). Principal id: the Okta user id (``00u...``).

Okta quirks handled here:

* Only ``OKTA_GROUP`` groups can be changed through the API. ``APP_GROUP`` (imported from AD,
  LDAP or an app) and ``BUILT_IN`` (Everyone) groups, and groups that an active group rule
  assigns people to, are managed elsewhere → ManagedExternally. Group types are cached for the
  instance's life (they never change); group rules are re-read every ``rules_cache_seconds``.
* ``PUT``/``DELETE /groups/{gid}/users/{uid}`` answer 204 whether or not anything changed, so the
  user's group list is read first to report APPLIED or ALREADY honestly.
* 404 ``E0000007`` names the missing resource: "(User)" or "(UserGroup)".
* 429 carries ``X-Rate-Limit-Reset`` (UTC epoch seconds): waited for, or raised as RateLimited
  when longer than ``max_inline_wait_seconds``.
* Lifecycle operations are state transitions, not idempotent: the user's status is read first.
  ``suspend`` is documented for ACTIVE users only, so a leaver in another status is taken out by
  the documented operation for that status (see ``OktaConnector.suspend``) and the result says which.
* ``limit`` on the list endpoints is capped at 200 by Okta; longer lists follow ``Link: rel="next"``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pydantic

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
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    TargetNotFound,
)
from connectors.http import ApiClient, epoch_reset_hint, raise_for_status
from connectors.okta_oauth import OktaServiceAppTokens
from connectors.targets import OktaTarget
from connectors.vendor_http import BearerTokenAuth, json_body, paged, pages, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

CHANGEABLE_GROUP_TYPE = "OKTA_GROUP"
# User Lifecycle API (developer.okta.com/docs/api/openapi/okta-management/management/tag/UserLifecycle/):
# suspend "can only be performed on users with an ACTIVE status"; unlock returns a LOCKED_OUT user
# to ACTIVE; deactivate applies to every status but DEPROVISIONED.
SIGN_IN_STATUSES = {"ACTIVE", "LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"}  # a person can (get back) in
ALREADY_OFF = {"SUSPENDED", "DEPROVISIONED"}
# Neither suspendable nor unlockable, yet a way in remains (an old password that must be changed, a
# recovery link, an activation link): deactivation is the one documented operation that ends it.
DEACTIVATE_INSTEAD = {"PASSWORD_EXPIRED", "RECOVERY", "PROVISIONED", "STAGED"}
DEFAULT_OAUTH_SCOPES = ("okta.users.manage", "okta.groups.manage")
MAX_PAGE_SIZE = 200  # Okta's cap on ``limit`` for groups, group members, user groups and rules


class OktaOptions(VendorOptions):
    org_url: pydantic.HttpUrl  # https://acme.okta.com
    # Either an SSWS API token...
    api_token: pydantic.SecretStr | None = None
    # ...or an OAuth 2.0 service app (recommended by Okta): its client id, the PEM private key whose
    # public half is registered on the app, that key's id (kid) and the okta.* scopes granted to it.
    client_id: str | None = pydantic.Field(None, min_length=1)
    private_key: pydantic.SecretStr | None = None
    key_id: str | None = pydantic.Field(None, min_length=1)
    scopes: tuple[str, ...] = pydantic.Field(DEFAULT_OAUTH_SCOPES, min_length=1)
    page_size: int = pydantic.Field(MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    check_group_rules: bool = True
    rules_cache_seconds: float = pydantic.Field(300.0, ge=0)
    revoke_oauth_tokens: bool = True  # end_sessions also revokes OAuth refresh/access tokens
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)
    # A leaver whose status Okta cannot suspend (PASSWORD_EXPIRED, RECOVERY, never activated) is
    # deactivated, which also deprovisions their app assignments; false refuses instead.
    deactivate_when_unsuspendable: bool = True

    @pydantic.model_validator(mode="after")
    def _one_credential(self) -> OktaOptions:
        oauth = self.client_id is not None or self.private_key is not None
        if oauth and self.api_token is not None:
            raise ValueError("give either api_token or client_id with private_key, not both")
        if oauth and (self.client_id is None or self.private_key is None):
            raise ValueError("an OAuth service app needs both client_id and private_key")
        if not oauth and self.api_token is None:
            raise ValueError("api_token (SSWS) or client_id with private_key (OAuth service app) is required")
        return self

    @property
    def uses_oauth(self) -> bool:
        return self.private_key is not None


def _link_next(response: httpx.Response) -> str | None:
    return response.links.get("next", {}).get("url")


def _items(response: httpx.Response) -> tuple[list[Any], str | None]:
    data = response.json()
    return (data if isinstance(data, list) else []), _link_next(response)


def _okta_error(response: httpx.Response) -> tuple[str, str]:
    body = json_body(response)
    return str(body.get("errorCode", "")), str(body.get("errorSummary", ""))


class OktaConnector(Connector):
    kind = "okta"
    options_model = OktaOptions
    target_model = OktaTarget
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True,
                                last_activity=True)

    def __init__(self, name: str, options: Mapping[str, Any], *,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = config = parse_options(OktaOptions, self.kind, name, options)
        org_url = str(config.org_url).rstrip("/")
        client = {"timeout": config.timeout_seconds, "max_inline_wait": config.max_inline_wait_seconds,
                  "rate_limit_hint": epoch_reset_hint("x-rate-limit-reset"), "sleep": sleep}
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        self._token_api: ApiClient | None = None
        auth: httpx.Auth | None = None
        if config.uses_oauth:
            self._token_api = ApiClient(org_url, headers={"Accept": "application/json"}, **client)
            self.tokens = OktaServiceAppTokens(org_url, config.client_id or "", config.private_key.get_secret_value(),
                                               config.scopes, key_id=config.key_id, api=self._token_api)
            auth = BearerTokenAuth(self.tokens)
        else:
            headers["Authorization"] = f"SSWS {config.api_token.get_secret_value()}"
        self.api = ApiClient(org_url + "/api/v1/", headers=headers, auth=auth, **client)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._group_types: dict[str, str] = {}
        self._rule_groups: tuple[float, frozenset[str]] | None = None

    def close(self) -> None:
        self.api.close()
        if self._token_api is not None:
            self._token_api.close()

    def check(self) -> list[Check]:
        def probe() -> str:
            if self.config.uses_oauth:
                # A service app acts as no user, so /users/me does not apply; one group read proves
                # the token request and the scopes (okta.groups.manage includes read).
                response = self.api.request("GET", "groups", params={"limit": 1})
                raise_for_status(response, ok=(200,), what="GET /api/v1/groups")
                return f"service app {self.config.client_id} with scopes {' '.join(self.config.scopes)}"
            response = self.api.request("GET", "users/me")
            raise_for_status(response, ok=(200,), what="GET /api/v1/users/me")
            return f"token of {json_body(response).get('profile', {}).get('login', 'unknown user')}"
        return probe_checks(probe)

    # -- accounts ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        handle = subject.handles.get("okta_id") or subject.handles.get("okta")
        if handle:
            return self._user_ref(self._get_user(handle))
        email = subject.email.strip()
        quoted = email.replace("\\", "\\\\").replace('"', '\\"')
        response = self.api.request("GET", "users", params={
            "search": f'profile.login eq "{quoted}" or profile.email eq "{quoted}"', "limit": 10})
        raise_for_status(response, ok=(200,), what="search Okta users")
        users = response.json()
        exact = [u for u in users if u.get("profile", {}).get("login", "").lower() == email.lower()]
        if len(exact) == 1:
            return self._user_ref(exact[0])
        if len(users) == 1:
            return self._user_ref(users[0])
        if not users:
            raise PrincipalNotFound(f"no Okta user with login or email {email} in {self.name}")
        raise AmbiguousPrincipal(f"{len(users)} Okta users have the email {email}; set handles.okta_id")

    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        """The Users API's ``lastLogin`` (a sign-in to Okta, not to an app: app sign-ins from the System
        Log are not read). Null (never signed in, or imported) is unknown. Okta's 429 surfaces as
        RateLimited with the wait until ``X-Rate-Limit-Reset`` when longer than the inline wait."""
        response = next_link_page(self.api, cursor, "users", {"limit": self.config.page_size},
                                  what="list Okta users")
        users, following = _items(response)
        activity = tuple(Activity(self._user_ref(u), parse_time(u.get("lastLogin")))
                         for u in users if isinstance(u, dict) and u.get("id"))
        return ActivityPage(activity, following, ActivityMeaning.LOGIN, "Okta Users API lastLogin")

    def _get_user(self, user: str) -> dict[str, Any]:
        response = self.api.request("GET", f"users/{segment(user)}")
        if response.status_code == 404:
            raise PrincipalNotFound(f"Okta user {user} not found in {self.name}", http_status=404,
                                    provider_code="E0000007")
        raise_for_status(response, ok=(200,), what=f"GET /api/v1/users/{user}")
        return response.json()

    @staticmethod
    def _user_ref(user: dict[str, Any]) -> PrincipalRef:
        return PrincipalRef(id=user["id"], display=user.get("profile", {}).get("login", user["id"]))

    # -- groups --------------------------------------------------------------------------------
    def _ensure_changeable(self, group_id: str) -> None:
        group_type = self._group_type(group_id)
        if group_type != CHANGEABLE_GROUP_TYPE:
            raise ManagedExternally(
                f"Okta group {group_id} is a {group_type} group; only OKTA_GROUP memberships can be changed "
                "(APP_GROUP members come from the directory or app that imports them)", provider_code=group_type)
        if self.config.check_group_rules and group_id in self._groups_assigned_by_rules():
            raise ManagedExternally(f"Okta group {group_id} is filled by an active group rule; change the rule "
                                    "in Okta instead", provider_code="GROUP_RULE")

    def _group_type(self, group_id: str) -> str:
        with self._lock:
            cached = self._group_types.get(group_id)
        if cached:
            return cached
        response = self.api.request("GET", f"groups/{segment(group_id)}")
        if response.status_code == 404:
            raise TargetNotFound(f"Okta group {group_id} not found in {self.name}", http_status=404,
                                 provider_code="E0000007")
        raise_for_status(response, ok=(200,), what=f"GET /api/v1/groups/{group_id}")
        group_type = str(response.json().get("type", "UNKNOWN"))
        with self._lock:
            self._group_types[group_id] = group_type
        return group_type

    def _groups_assigned_by_rules(self) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            if self._rule_groups and now - self._rule_groups[0] < self.config.rules_cache_seconds:
                return self._rule_groups[1]
        groups: set[str] = set()
        for rule in paged(self.api, "groups/rules", _items, params={"limit": self.config.page_size},
                          what="list Okta group rules"):
            if rule.get("status") == "ACTIVE":
                groups.update(rule.get("actions", {}).get("assignUserToGroups", {}).get("groupIds", []))
        with self._lock:
            self._rule_groups = (now, frozenset(groups))
        return self._rule_groups[1]

    def _is_member(self, user_id: str, group_id: str) -> bool:
        def user_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise PrincipalNotFound(f"Okta user {user_id} not found in {self.name}", http_status=404,
                                        provider_code="E0000007")
        groups = paged(self.api, f"users/{segment(user_id)}/groups", _items, params={"limit": self.config.page_size},
                       what=f"list Okta groups of {user_id}", on_status=user_missing)
        return any(group.get("id") == group_id for group in groups)

    def _change_membership(self, method: str, principal: PrincipalRef, group_id: str, action_id: str) -> None:
        path = f"groups/{segment(group_id)}/users/{segment(principal.id)}"
        response = self.api.request(method, path)
        if response.status_code == 404:
            code, summary = _okta_error(response)
            missing = PrincipalNotFound if "(User)" in summary else TargetNotFound
            raise missing(f"{method} /api/v1/{path}: {summary or 'not found'}", http_status=404, provider_code=code)
        raise_for_status(response, ok=(204,), what=f"{method} /api/v1/{path}")
        log.info("okta %s: %s %s in group %s (action %s)", self.name, method, principal.id, group_id, action_id)

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._ensure_changeable(target.ref)
        if self._is_member(principal.id, target.ref):
            return settled(f"{principal.display or principal.id} already in group", dry_run=dry_run)
        if dry_run:
            return ActionResult(Outcome.PLANNED,
                                planned_calls=(f"PUT /api/v1/groups/{target.ref}/users/{principal.id}",))
        self._change_membership("PUT", principal, target.ref, action_id)
        return ActionResult(Outcome.APPLIED, http_status=204)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._ensure_changeable(target.ref)
        if not self._is_member(principal.id, target.ref):
            return settled(f"{principal.display or principal.id} not in group", dry_run=dry_run)
        if dry_run:
            return ActionResult(Outcome.PLANNED,
                                planned_calls=(f"DELETE /api/v1/groups/{target.ref}/users/{principal.id}",))
        self._change_membership("DELETE", principal, target.ref, action_id)
        return ActionResult(Outcome.APPLIED, http_status=204)

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        return self._is_member(principal.id, target.ref)

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([member for page in self.member_pages(target) for member in page])

    def member_pages(self, target: Target) -> Iterator[list[PrincipalRef]]:
        def group_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise TargetNotFound(f"Okta group {target.ref} not found in {self.name}", http_status=404)
        for users in pages(self.api, f"groups/{segment(target.ref)}/users", _items,
                           params={"limit": self.config.page_size}, what=f"list members of Okta group {target.ref}",
                           on_status=group_missing):
            yield [self._user_ref(user) for user in users]

    # -- account-wide --------------------------------------------------------------------------
    def _lifecycle(self, principal: PrincipalRef, operation: str, action_id: str) -> int:
        path = f"users/{segment(principal.id)}/lifecycle/{operation}"
        response = self.api.request("POST", path)
        if response.status_code == 400:
            code, summary = _okta_error(response)
            raise InvalidRequest(f"Okta refused {operation}: {summary}", http_status=400, provider_code=code)
        raise_for_status(response, ok=(200, 204), what=f"POST /api/v1/{path}")
        log.info("okta %s: %s %s (action %s)", self.name, operation, principal.id, action_id)
        return response.status_code

    def _sign_in_enders(self, principal: PrincipalRef, status: str) -> tuple[tuple[str, ...], str]:
        """The lifecycle operations that leave a user of ``status`` unable to sign in, and why."""
        who = principal.display or principal.id
        if status == "ACTIVE":
            return ("suspend",), "suspended"
        if status == "LOCKED_OUT":
            # Suspend needs ACTIVE and unlock is the documented way back to it; the lock may lift
            # by itself anyway (the password policy's auto-unlock), so leaving it is no answer.
            return ("unlock", "suspend"), "was LOCKED_OUT: unlocked, then suspended (Okta suspends only ACTIVE users)"
        if status in DEACTIVATE_INSTEAD:
            if not self.config.deactivate_when_unsuspendable:
                raise InvalidRequest(f"Okta cannot suspend {who}: the user is {status} (suspend needs ACTIVE); "
                                     "deactivate the user in Okta, or set deactivate_when_unsuspendable",
                                     provider_code=status)
            return ("deactivate",), (f"was {status}, which Okta cannot suspend: deactivated instead "
                                     "(Okta deprovisions the user's app assignments)")
        raise InvalidRequest(f"Okta user {who} has status {status or 'unknown'}; accessbot does not know how "
                             "to end sign-in for it: deactivate the user in Okta", provider_code=status)

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        """End the person's ability to sign in with the operation Okta documents for their status.

        ACTIVE → suspend (undone by reactivate). LOCKED_OUT → unlock then suspend: both documented,
        and the result is the same reversible SUSPENDED. PASSWORD_EXPIRED, RECOVERY, PROVISIONED and
        STAGED can be neither suspended nor unlocked, yet the person can still get in (change the
        expired password, follow a recovery or activation link): deactivate, the one operation Okta
        allows from every status but DEPROVISIONED. The detail says which was done.
        """
        status = str(self._get_user(principal.id).get("status", ""))
        if status in ALREADY_OFF:
            return settled(f"Okta user is {status}", dry_run=dry_run)
        operations, detail = self._sign_in_enders(principal, status)
        if dry_run:
            return ActionResult(Outcome.PLANNED, detail=detail, planned_calls=tuple(
                f"POST /api/v1/users/{principal.id}/lifecycle/{operation}" for operation in operations))
        http_status = 0
        for operation in operations:
            http_status = self._lifecycle(principal, operation, action_id)
        return ActionResult(Outcome.APPLIED, detail=detail, http_status=http_status)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        status = self._get_user(principal.id).get("status", "")
        if status in SIGN_IN_STATUSES:
            return settled(f"Okta user is {status}, not suspended", dry_run=dry_run)
        if status != "SUSPENDED":
            # Deactivated (DEPROVISIONED) or never activated: unsuspend does not apply, and
            # activating is an admin's decision (it may mail the user a new activation link).
            # accessbot's own suspend deactivates users Okta cannot suspend; bringing those back
            # needs activate, which mails the person a new activation link: an admin's decision.
            raise InvalidRequest(f"Okta user {principal.display or principal.id} is {status}, not SUSPENDED; "
                                 "only a suspended user can be unsuspended: activate it in Okta if that is meant",
                                 provider_code=status)
        if dry_run:
            return ActionResult(Outcome.PLANNED,
                                planned_calls=(f"POST /api/v1/users/{principal.id}/lifecycle/unsuspend",))
        return ActionResult(Outcome.APPLIED, http_status=self._lifecycle(principal, "unsuspend", action_id))

    def end_sessions(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        params = {"oauthTokens": "true"} if self.config.revoke_oauth_tokens else None
        call = f"DELETE /api/v1/users/{principal.id}/sessions" + ("?oauthTokens=true" if params else "")
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(call,))
        response = self.api.request("DELETE", f"users/{segment(principal.id)}/sessions", params=params)
        if response.status_code == 404:
            raise PrincipalNotFound(f"Okta user {principal.id} not found in {self.name}", http_status=404)
        raise_for_status(response, ok=(204,), what=call)
        log.info("okta %s: cleared sessions of %s (action %s)", self.name, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=204)

    def describe(self, target: Target) -> str:
        return f"{self.name}: Okta group {target.ref}"
