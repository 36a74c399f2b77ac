"""Slack user groups (@handles) through the Web API, with plain httpx (connectors never import slack_sdk).

Target ref: a user group id (``S...``). Principal id: a Slack user id (``U...``/``W...``), from
``Subject.slack_user_id`` or ``users.lookupByEmail``.

Slack has no add/remove member method: ``usergroups.users.update`` replaces the whole list. So
grant and revoke are read-modify-write under a per-group lock, then read back to verify:

    lock(group) → usergroups.users.list → compute → usergroups.users.update → usergroups.users.list

The lock comes from the ``ConnectorHost`` (``connectors.host``), keyed ``"<instance>:<group id>"``:
the bot passes one shared by every replica (a PostgreSQL advisory lock), so two replicas cannot
interleave either; without a host it is an in-process lock.

Other quirks handled:

* Errors come back as HTTP 200 ``{"ok": false, "error": "..."}``; throttling is 429 + Retry-After.
* A group cannot be emptied: removing its last member disables the group (``usergroups.disable``)
  instead. A disabled group grants nothing, so it counts as empty; granting into it re-enables it
  with just the new member, provided accessbot itself disabled it (``deleted_by`` is our bot user);
  a group someone else disabled is left alone unless ``reenable_groups_disabled_by_others``.
* Slack's own @admins/@owners groups (``auto_type``) are kept by Slack → ManagedExternally.
* Guests and bots cannot be members; resolve refuses them with a clear reason.
* Needs ``usergroups:read``, ``usergroups:write``, ``users:read.email``; a bot token can change
  groups only if the workspace lets everyone manage user groups (else ``permission_denied``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

import pydantic

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from connectors.host import ConnectorHost
from connectors.http import ApiClient, raise_for_status
from connectors.targets import SlackUsergroupTarget
from connectors.vendor_http import json_body
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission",
               "missing_scope", "permission_denied", "not_allowed_token_type", "team_access_not_granted",
               "org_login_required", "ekm_access_denied"}
TRANSIENT_ERRORS = {"fatal_error", "internal_error", "service_unavailable", "request_timeout"}
REQUIRED_SCOPES = {"usergroups:read", "usergroups:write"}


class SlackUsergroupOptions(VendorOptions):
    token: pydantic.SecretStr
    api_url: pydantic.HttpUrl = pydantic.HttpUrl("https://slack.com/api/")
    team_id: str | None = None  # Enterprise Grid org-wide tokens must name the workspace
    reenable_groups_disabled_by_others: bool = False
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)


def slack_error(method: str, error: str) -> ConnectorError:
    detail = f"Slack {method}: {error}"
    if error in AUTH_ERRORS:
        hint = " (workspace settings may restrict who can manage user groups)" if error == "permission_denied" else ""
        return AuthError(detail + hint, provider_code=error)
    if error in ("no_such_subteam", "subteam_not_found"):
        return TargetNotFound(detail, provider_code=error)
    if error in ("users_not_found", "user_not_found"):
        return PrincipalNotFound(detail, provider_code=error)
    if error == "ratelimited":
        return RateLimited(detail, provider_code=error)
    if error in TRANSIENT_ERRORS:
        return TransientError(detail, provider_code=error)
    if error in ("invalid_users", "single_channel_guests_cannot_be_added", "restricted_user"):
        return InvalidRequest(detail + " (guests, bots and deactivated users cannot be in user groups)",
                              provider_code=error)
    return InvalidRequest(detail, provider_code=error)


class SlackUsergroupConnector(Connector):
    kind = "slack_usergroups"
    options_model = SlackUsergroupOptions
    target_model = SlackUsergroupTarget
    capabilities = Capabilities(list_members=True)
    uses_host = True

    def __init__(self, name: str, options: Mapping[str, Any], *, host: ConnectorHost | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(name, options)
        self.config = parse_options(SlackUsergroupOptions, self.kind, name, options)
        self.api = ApiClient(str(self.config.api_url),
                             headers={"Authorization": f"Bearer {self.config.token.get_secret_value()}"},
                             timeout=self.config.timeout_seconds,
                             max_inline_wait=self.config.max_inline_wait_seconds, sleep=sleep)
        self.host = host or ConnectorHost()
        self._own_user_id: str | None = None

    def close(self) -> None:
        self.api.close()

    def _call(self, method: str, **params: str | None) -> dict[str, Any]:
        if self.config.team_id and method.startswith("usergroups."):
            params.setdefault("team_id", self.config.team_id)
        response = self.api.request("POST", method, data={k: v for k, v in params.items() if v is not None})
        raise_for_status(response, ok=(200,), what=method)
        body = json_body(response)
        if not body.get("ok"):
            raise slack_error(method, str(body.get("error", "unknown_error")))
        return body

    def check(self) -> list[Check]:
        def probe() -> str:
            response = self.api.request("POST", "auth.test")
            raise_for_status(response, ok=(200,), what="auth.test")
            body = json_body(response)
            if not body.get("ok"):
                raise slack_error("auth.test", str(body.get("error", "unknown_error")))
            granted = {s.strip() for s in response.headers.get("x-oauth-scopes", "").split(",") if s.strip()}
            missing = REQUIRED_SCOPES - granted if granted else set()
            if missing:
                raise AuthError(f"token lacks scope {', '.join(sorted(missing))}", provider_code="missing_scope")
            return f"{body.get('user', '?')} in {body.get('team', '?')}"
        return probe_checks(probe)

    # -- accounts ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        if subject.slack_user_id:
            return PrincipalRef(id=subject.slack_user_id, display=subject.email)
        try:
            user = self._call("users.lookupByEmail", email=subject.email.strip())["user"]
        except PrincipalNotFound:
            raise PrincipalNotFound(f"no Slack user with the email {subject.email}") from None
        if user.get("deleted"):
            raise PrincipalNotFound(f"the Slack account of {subject.email} is deactivated")
        if user.get("is_bot") or user.get("is_restricted") or user.get("is_ultra_restricted"):
            raise PrincipalNotFound(f"{subject.email} is a guest or bot in Slack; user groups cannot contain them")
        return PrincipalRef(id=user["id"], display=subject.email)

    def _self_user_id(self) -> str:
        if self._own_user_id is None:
            self._own_user_id = str(self._call("auth.test").get("user_id", ""))
        return self._own_user_id

    # -- groups --------------------------------------------------------------------------------
    def _group(self, group_id: str) -> dict[str, Any]:
        groups = self._call("usergroups.list", include_disabled="true", include_users="false",
                            include_count="false")["usergroups"]
        group = next((g for g in groups if g.get("id") == group_id), None)
        if group is None:
            raise TargetNotFound(f"Slack user group {group_id} not found in {self.name}")
        return group

    @staticmethod
    def _ensure_changeable(group: dict[str, Any]) -> None:
        if group.get("auto_type"):
            raise ManagedExternally(f"Slack keeps @{group.get('handle', group['id'])} ({group['auto_type']}s) itself",
                                    provider_code="auto_type")

    def _users(self, group_id: str) -> list[str]:
        return list(self._call("usergroups.users.list", usergroup=group_id, include_disabled="true")["users"])

    def _state(self, group_id: str) -> tuple[dict[str, Any], list[str]]:
        """The group and who holds it: nobody while the group is disabled."""
        group = self._group(group_id)
        return group, (self._users(group_id) if not group.get("date_delete") else [])

    def _replace(self, group_id: str, users: list[str], action_id: str) -> None:
        self._call("usergroups.users.update", usergroup=group_id, users=",".join(users), include_count="false")
        log.info("slack_usergroups %s: %s now has %d members (action %s)", self.name, group_id, len(users), action_id)

    def _verify(self, group_id: str, user_id: str, *, present: bool) -> None:
        group, users = self._state(group_id)
        if (user_id in users) != present:
            raise TransientError(f"Slack user group {group_id} does not show the change after updating it "
                                 f"({user_id} {'missing' if present else 'still present'}); retrying is safe")

    def _reenable(self, group: dict[str, Any], action_id: str) -> None:
        disabled_by = group.get("deleted_by")
        if disabled_by != self._self_user_id() and not self.config.reenable_groups_disabled_by_others:
            raise ManagedExternally(f"Slack user group @{group.get('handle', group['id'])} was disabled by "
                                    f"{disabled_by or 'someone else'}; enable it in Slack first")
        self._call("usergroups.enable", usergroup=group["id"], include_count="false")
        log.info("slack_usergroups %s: re-enabled %s (action %s)", self.name, group["id"], action_id)

    def _group_lock(self, group_id: str) -> AbstractContextManager[object]:
        return self.host.lock(f"{self.name}:{group_id}")

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        with self._group_lock(target.ref):
            group, users = self._state(target.ref)
            self._ensure_changeable(group)
            if principal.id in users:
                return settled("already a member", dry_run=dry_run)
            disabled = bool(group.get("date_delete"))
            new_users = users + [principal.id]  # a disabled group's old members are not carried over
            if dry_run:
                calls = (("usergroups.enable",) if disabled else ()) + (
                    f"usergroups.users.update users={','.join(new_users)}",)
                return ActionResult(Outcome.PLANNED, planned_calls=calls)
            if disabled:
                self._reenable(group, action_id)
            self._replace(target.ref, new_users, action_id)
            self._verify(target.ref, principal.id, present=True)
        return ActionResult(Outcome.APPLIED, detail="re-enabled the group" if disabled else None)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        with self._group_lock(target.ref):
            group, users = self._state(target.ref)
            self._ensure_changeable(group)
            if principal.id not in users:
                return settled("not a member", dry_run=dry_run)
            remaining = [u for u in users if u != principal.id]
            call = f"usergroups.users.update users={','.join(remaining)}" if remaining else "usergroups.disable"
            if dry_run:
                return ActionResult(Outcome.PLANNED, planned_calls=(call,))
            if remaining:
                self._replace(target.ref, remaining, action_id)
            else:  # Slack refuses an empty member list: disabling is how a group is emptied
                self._call("usergroups.disable", usergroup=target.ref, include_count="false")
                log.info("slack_usergroups %s: disabled %s, its last member left (action %s)", self.name,
                         target.ref, action_id)
            self._verify(target.ref, principal.id, present=False)
        return ActionResult(Outcome.APPLIED, detail=None if remaining else "last member removed: group disabled")

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        return principal.id in self._state(target.ref)[1]

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([PrincipalRef(id=user_id, display=user_id) for user_id in self._state(target.ref)[1]])

    def describe(self, target: Target) -> str:
        return f"{self.name}: Slack user group {target.ref}"
