"""Slack user groups (@handles) through the Web API, with plain httpx (connectors never import slack_sdk).

Target ref: a user group id (``S...``) or its ``@handle``. Principal id: a Slack user id
(``U...``/``W...``), from ``Subject.slack_user_id`` or ``users.lookupByEmail``.

Slack has no add/remove member method: ``usergroups.users.update`` replaces the whole list. So
grant and revoke are read-modify-write under a per-group lock:

    lock(group) → usergroups.users.list → compute → usergroups.users.update (→ usergroups.users.list)

Every one of these methods is Tier 2 (api.slack.com/docs/rate-limits: about 20 calls a minute per
method, workspace and app), so a change costs two calls, one of each method, and a burst stays
within the limits:

* What does not change between changes is cached per instance: the group's handle, id and
  ``auto_type`` (from one ``usergroups.list``, re-read every ``group_cache_seconds`` or when a
  group is not found in it). Who is in the group is never cached: another replica may have just
  changed it, and only the fresh list under the lock is safe to replace.
* A disabled group is found by its ``usergroups.users.list`` refusing it (without
  ``include_disabled``); only then is ``usergroups.list`` read again for who disabled it.
* ``usergroups.users.update`` answers the updated group with its ``users``: that answer is the
  verification when the lock excludes every replica (``ConnectorHost.lock_spans_replicas``, the
  bot's PostgreSQL advisory lock). With a lock of this process only, a second replica could
  overwrite the change unseen, so the list is read back as before.

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
  ``check()`` reads the token's scopes from the ``x-oauth-scopes`` header Slack sends with
  auth.test (api.slack.com/methods/auth.test, api.slack.com/authentication/oauth-v2).
"""

from __future__ import annotations

import logging
import re
import threading
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
REQUIRED_SCOPES = {"usergroups:read", "usergroups:write", "users:read.email"}
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


class SlackUsergroupOptions(VendorOptions):
    token: pydantic.SecretStr
    api_url: pydantic.HttpUrl = pydantic.HttpUrl("https://slack.com/api/")
    team_id: str | None = None  # Enterprise Grid org-wide tokens must name the workspace
    reenable_groups_disabled_by_others: bool = False
    group_cache_seconds: float = pydantic.Field(3600.0, ge=0)  # how long handles, ids and auto_type are trusted
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
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = parse_options(SlackUsergroupOptions, self.kind, name, options)
        self.api = ApiClient(str(self.config.api_url),
                             headers={"Authorization": f"Bearer {self.config.token.get_secret_value()}"},
                             timeout=self.config.timeout_seconds,
                             max_inline_wait=self.config.max_inline_wait_seconds, sleep=sleep)
        self.host = host or ConnectorHost()
        self._own_user_id: str | None = None
        self._monotonic = monotonic
        self._groups_lock = threading.Lock()
        self._groups: tuple[float, dict[str, dict[str, Any]]] | None = None  # (read at, id -> group)

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
            header = response.headers.get("x-oauth-scopes")
            if header is None:
                raise AuthError("Slack did not list the token's scopes (no x-oauth-scopes header on auth.test), "
                                f"so {', '.join(sorted(REQUIRED_SCOPES))} could not be verified",
                                provider_code="missing_scope")
            granted = {scope.strip() for scope in header.split(",") if scope.strip()}
            missing = REQUIRED_SCOPES - granted
            if missing:
                raise AuthError(f"token lacks scope {', '.join(sorted(missing))} (it has "
                                f"{', '.join(sorted(granted)) or 'none'})", provider_code="missing_scope")
            return f"{body.get('user', '?')} in {body.get('team', '?')} with {', '.join(sorted(REQUIRED_SCOPES))}"
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
    def _group_index(self, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """Every user group by id, disabled ones included (one usergroups.list, cached)."""
        now = self._monotonic()
        with self._groups_lock:
            if not fresh and self._groups and now - self._groups[0] < self.config.group_cache_seconds:
                return self._groups[1]
        groups = self._call("usergroups.list", include_disabled="true", include_users="false",
                            include_count="false")["usergroups"]
        index = {str(g.get("id")): g for g in groups if isinstance(g, dict)}
        with self._groups_lock:
            self._groups = (now, index)
        return index

    def _group(self, ref: str, *, fresh: bool = False) -> dict[str, Any]:
        """The group a target names, by id or @handle; re-read once when the cache does not know it."""
        for attempt_fresh in ((True,) if fresh else (False, True)):
            index = self._group_index(fresh=attempt_fresh)
            if GROUP_ID.match(ref):
                group = index.get(ref)
            else:
                handle = ref.removeprefix("@").lower()
                group = next((g for g in index.values() if str(g.get("handle", "")).lower() == handle), None)
            if group is not None:
                return group
        raise TargetNotFound(f"Slack user group {ref} not found in {self.name}")

    @staticmethod
    def _ensure_changeable(group: dict[str, Any]) -> None:
        if group.get("auto_type"):
            raise ManagedExternally(f"Slack keeps @{group.get('handle', group['id'])} ({group['auto_type']}s) itself",
                                    provider_code="auto_type")

    def _state(self, ref: str) -> tuple[dict[str, Any], list[str]]:
        """The group and who holds it now: nobody while the group is disabled.

        usergroups.users.list without include_disabled refuses a disabled group, so the common
        case is one call; only a refusal re-reads usergroups.list to tell disabled from gone.
        """
        group = self._group(ref)
        try:
            return group, list(self._call("usergroups.users.list", usergroup=group["id"])["users"])
        except TargetNotFound:
            group = self._group(group["id"], fresh=True)
            if not group.get("date_delete"):
                raise
            return group, []

    def _replace(self, group_id: str, users: list[str], action_id: str) -> list[str] | None:
        """Replace the member list; returns the list Slack answers with (None when it sends none)."""
        body = self._call("usergroups.users.update", usergroup=group_id, users=",".join(users), include_count="false")
        log.info("slack_usergroups %s: %s now has %d members (action %s)", self.name, group_id, len(users), action_id)
        answered = body.get("usergroup", {}).get("users") if isinstance(body.get("usergroup"), dict) else None
        return list(answered) if isinstance(answered, list) else None

    def _verify(self, group_id: str, user_id: str, *, present: bool, answered: list[str] | None) -> None:
        if answered is not None and self.host.lock_spans_replicas:
            users = answered  # nobody else can have written since: the write's own answer is the state
        else:
            users = self._state(group_id)[1]
        if (user_id in users) != present:
            raise TransientError(f"Slack user group {group_id} does not show the change after updating it "
                                 f"({user_id} {'missing' if present else 'still present'}); retrying is safe")

    def _mark_disabled(self, group: dict[str, Any], disabled: bool) -> None:
        """Keep the cached group in step with our own enable/disable."""
        with self._groups_lock:
            if self._groups and group["id"] in self._groups[1]:
                self._groups[1][group["id"]] = {**group, "date_delete": int(time.time()) if disabled else 0,
                                                "deleted_by": self._own_user_id if disabled else None}

    def _reenable(self, group: dict[str, Any], action_id: str) -> None:
        disabled_by = group.get("deleted_by")
        if disabled_by != self._self_user_id() and not self.config.reenable_groups_disabled_by_others:
            raise ManagedExternally(f"Slack user group @{group.get('handle', group['id'])} was disabled by "
                                    f"{disabled_by or 'someone else'}; enable it in Slack first")
        self._call("usergroups.enable", usergroup=group["id"], include_count="false")
        self._mark_disabled(group, False)
        log.info("slack_usergroups %s: re-enabled %s (action %s)", self.name, group["id"], action_id)

    def _group_lock(self, ref: str) -> AbstractContextManager[object]:
        return self.host.lock(f"{self.name}:{self._group(ref)['id']}")

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
            answered = self._replace(group["id"], new_users, action_id)
            self._verify(group["id"], principal.id, present=True, answered=answered)
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
            answered: list[str] | None = []
            if remaining:
                answered = self._replace(group["id"], remaining, action_id)
            else:  # Slack refuses an empty member list: disabling is how a group is emptied
                self._self_user_id()  # who disabled it is how a later grant knows it may re-enable it
                self._call("usergroups.disable", usergroup=group["id"], include_count="false")
                self._mark_disabled(group, True)
                log.info("slack_usergroups %s: disabled %s, its last member left (action %s)", self.name,
                         group["id"], action_id)
            self._verify(group["id"], principal.id, present=False, answered=answered)
        return ActionResult(Outcome.APPLIED, detail=None if remaining else "last member removed: group disabled")

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        return principal.id in self._state(target.ref)[1]

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([PrincipalRef(id=user_id, display=user_id) for user_id in self._state(target.ref)[1]])

    def describe(self, target: Target) -> str:
        return f"{self.name}: Slack user group {target.ref}"
