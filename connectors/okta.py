"""Okta groups, through a thin httpx client on the Okta Management API (``SSWS`` API token).

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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pydantic

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AmbiguousPrincipal,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    TargetNotFound,
)
from connectors.http import ApiClient, epoch_reset_hint, raise_for_status
from connectors.targets import OktaTarget
from connectors.vendor_http import json_body, paged, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

CHANGEABLE_GROUP_TYPE = "OKTA_GROUP"
# Statuses in which Okta accepts lifecycle/suspend (the account is usable or nearly so).
SUSPENDABLE = {"ACTIVE", "LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"}
ALREADY_OFF = {"SUSPENDED", "DEPROVISIONED"}


class OktaOptions(VendorOptions):
    org_url: pydantic.HttpUrl  # https://acme.okta.com
    api_token: pydantic.SecretStr
    page_size: int = pydantic.Field(200, ge=1, le=1000)
    check_group_rules: bool = True
    rules_cache_seconds: float = pydantic.Field(300.0, ge=0)
    revoke_oauth_tokens: bool = True  # end_sessions also revokes OAuth refresh/access tokens
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)


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
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True)

    def __init__(self, name: str, options: Mapping[str, Any], *,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = parse_options(OktaOptions, self.kind, name, options)
        self.api = ApiClient(
            str(self.config.org_url).rstrip("/") + "/api/v1/",
            headers={"Authorization": f"SSWS {self.config.api_token.get_secret_value()}",
                     "Accept": "application/json", "Content-Type": "application/json"},
            timeout=self.config.timeout_seconds,
            max_inline_wait=self.config.max_inline_wait_seconds,
            rate_limit_hint=epoch_reset_hint("x-rate-limit-reset"),
            sleep=sleep,
        )
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._group_types: dict[str, str] = {}
        self._rule_groups: tuple[float, frozenset[str]] | None = None

    def close(self) -> None:
        self.api.close()

    def check(self) -> list[Check]:
        def probe() -> str:
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
        def group_missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise TargetNotFound(f"Okta group {target.ref} not found in {self.name}", http_status=404)
        users = list(paged(self.api, f"groups/{segment(target.ref)}/users", _items, params={"limit": self.config.page_size},
                           what=f"list members of Okta group {target.ref}", on_status=group_missing))
        return iter([self._user_ref(user) for user in users])

    # -- account-wide --------------------------------------------------------------------------
    def _lifecycle(self, principal: PrincipalRef, operation: str, action_id: str, dry_run: bool) -> ActionResult:
        path = f"users/{segment(principal.id)}/lifecycle/{operation}"
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"POST /api/v1/{path}",))
        response = self.api.request("POST", path)
        if response.status_code == 400:
            code, summary = _okta_error(response)
            raise InvalidRequest(f"Okta refused {operation}: {summary}", http_status=400, provider_code=code)
        raise_for_status(response, ok=(200, 204), what=f"POST /api/v1/{path}")
        log.info("okta %s: %s %s (action %s)", self.name, operation, principal.id, action_id)
        return ActionResult(Outcome.APPLIED, http_status=response.status_code)

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        status = self._get_user(principal.id).get("status", "")
        if status in ALREADY_OFF:
            return settled(f"Okta user is {status}", dry_run=dry_run)
        if status not in SUSPENDABLE:
            raise InvalidRequest(f"Okta cannot suspend a {status} user (only active ones); deactivate it in Okta")
        return self._lifecycle(principal, "suspend", action_id, dry_run)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        status = self._get_user(principal.id).get("status", "")
        if status in SUSPENDABLE:
            return settled(f"Okta user is {status}, not suspended", dry_run=dry_run)
        if status != "SUSPENDED":
            # Deactivated (DEPROVISIONED) or never activated: unsuspend does not apply, and
            # activating is an admin's decision (it may mail the user a new activation link).
            raise InvalidRequest(f"Okta user {principal.display or principal.id} is {status}, not SUSPENDED; "
                                 "only a suspended user can be unsuspended: activate it in Okta if that is meant",
                                 provider_code=status)
        return self._lifecycle(principal, "unsuspend", action_id, dry_run)

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
