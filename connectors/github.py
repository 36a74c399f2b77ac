"""GitHub organisation and team membership through the REST API (version 2022-11-28).

Target ref: ``org`` (membership of the configured organisation) or ``team:<slug>``;
``target.options.role`` picks the role (org: member | admin, team: member | maintainer).
Principal id: the GitHub login, from ``Subject.handles["github"]`` (accessbot does not look
logins up through SAML identities).

Quirks handled:

* Adding someone who is not yet in the organisation sends an invitation: the membership is
  ``pending`` → PENDING, and ``poll()`` reports APPLIED once it turns ``active``.
* Membership PUTs are idempotent and always answer 200, so the membership is read first to tell
  APPLIED from ALREADY. An admin or maintainer already satisfies a plain "member" target (never
  demoted); revoking an elevated role demotes to member instead of removing the person.
* Teams linked to an external group (Enterprise Managed Users: GET /orgs/{org}/teams/{slug}/
  external-groups lists the link) take their members from the IdP → ManagedExternally before any
  write; the link is read once per team and cached for ``team_cache_seconds``.
* Teams synchronised with an IdP group (team sync) refuse membership changes with a 403 →
  ManagedExternally.
* DELETE of a non-member → 404 → ALREADY. Deleting a team membership does not cancel a pending
  organisation invitation; revoking ``org`` does.
* Rate limits, as docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api asks:
  ``retry-after`` when present; else with ``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset``;
  else at least ``secondary_limit_wait_seconds`` (a minute). Secondary limits that keep coming
  wait exponentially longer (doubling per consecutive refusal, up to
  ``secondary_limit_max_wait_seconds``) until a request goes through.
  Mutations are serialised per connector instance and spaced ``min_write_interval_seconds`` apart,
  as GitHub asks of integrations.
* Team member lists include members of child teams (GitHub offers no direct-only listing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import httpx
import pydantic

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import InvalidRequest, ManagedExternally, NotFound, PrincipalNotFound, TargetNotFound
from connectors.http import ApiClient, parse_retry_after, raise_for_status
from connectors.targets import GitHubTarget
from connectors.vendor_http import json_body, pages, segment
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
ELEVATED = {"admin", "maintainer"}
SYNC_MARKERS = ("synchroniz", "synchronis", "identity provider", "externally managed", "idp group")


class GitHubOptions(VendorOptions):
    token: pydantic.SecretStr
    org: str = pydantic.Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
    api_url: pydantic.HttpUrl = pydantic.HttpUrl("https://api.github.com/")
    default_org_role: Literal["member", "admin"] = "member"
    default_team_role: Literal["member", "maintainer"] = "member"
    min_write_interval_seconds: float = pydantic.Field(1.0, ge=0)
    secondary_limit_wait_seconds: float = pydantic.Field(60.0, ge=0)
    secondary_limit_max_wait_seconds: float = pydantic.Field(3600.0, ge=0)
    team_cache_seconds: float = pydantic.Field(300.0, ge=0)  # how long a team's external-group link is trusted
    page_size: int = pydantic.Field(100, ge=1, le=100)
    timeout_seconds: float = pydantic.Field(15.0, gt=0)
    max_inline_wait_seconds: float = pydantic.Field(5.0, ge=0)


class GitHubRateLimits:
    """The rate-limit hint for ApiClient, with the memory that exponential backoff needs.

    GitHub's guidance: honour ``retry-after``; else, with ``x-ratelimit-remaining: 0``, wait until
    ``x-ratelimit-reset``; else wait at least a minute; and "if your request continues to fail due
    to a secondary rate limit, wait for an exponentially increasing amount of time between retries".
    Consecutive secondary limits are counted across requests (the scheduler's retries included)
    and the count starts again once a request is not throttled.
    """

    def __init__(self, base_wait: float, max_wait: float):
        self.base_wait, self.max_wait = base_wait, max_wait
        self._lock = threading.Lock()
        self.strikes = 0  # consecutive secondary-limit answers

    def __call__(self, response: httpx.Response) -> float | None:
        if response.status_code not in (403, 429):
            self._reset()
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        reset = response.headers.get("x-ratelimit-reset", "")
        if retry_after is None and response.headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
            return max(0.0, int(reset) - time.time())  # the primary limit: its reset is exact
        message = str(json_body(response).get("message", "")).lower()
        if retry_after is None and response.status_code != 429 and "rate limit" not in message:
            self._reset()
            return None  # a plain 403: permissions, team sync...
        with self._lock:
            self.strikes += 1
            backoff = min(self.max_wait, self.base_wait * 2 ** (self.strikes - 1))
        if retry_after is not None:
            return retry_after if self.strikes == 1 else max(retry_after, backoff)
        return backoff

    def _reset(self) -> None:
        with self._lock:
            self.strikes = 0


class WriteSpacing:
    """One mutation at a time, at least ``interval`` seconds after the previous one ended."""

    def __init__(self, interval: float, *, sleep: Callable[[float], None], monotonic: Callable[[], float]):
        self.interval = interval
        self._sleep, self._monotonic = sleep, monotonic
        self._lock = threading.Lock()
        self._last: float | None = None

    @contextmanager
    def __call__(self):
        with self._lock:
            if self._last is not None:
                wait = self._last + self.interval - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last = self._monotonic()


class GitHubConnector(Connector):
    kind = "github"
    options_model = GitHubOptions
    target_model = GitHubTarget
    # Roles are options of one membership: revoke honours what other grants still give (Target.retained).
    capabilities = Capabilities(list_members=True, async_grants=True, revokes_by_options=True)

    def __init__(self, name: str, options: Mapping[str, Any], *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name, options)
        self.config = parse_options(GitHubOptions, self.kind, name, options)
        self.rate_limits = GitHubRateLimits(self.config.secondary_limit_wait_seconds,
                                            self.config.secondary_limit_max_wait_seconds)
        self._monotonic = monotonic
        self._team_links: dict[str, tuple[float, list[str]]] = {}  # slug -> (read at, external group names)
        self._team_links_lock = threading.Lock()
        self.api = ApiClient(
            str(self.config.api_url),
            headers={"Authorization": f"Bearer {self.config.token.get_secret_value()}",
                     "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION,
                     "User-Agent": "accessbot"},
            timeout=self.config.timeout_seconds, max_inline_wait=self.config.max_inline_wait_seconds,
            rate_limit_hint=self.rate_limits, sleep=sleep)
        self.writes = WriteSpacing(self.config.min_write_interval_seconds, sleep=sleep, monotonic=monotonic)
        self._org = segment(self.config.org)

    def close(self) -> None:
        self.api.close()

    def check(self) -> list[Check]:
        def probe() -> str:
            response = self.api.request("GET", f"orgs/{self._org}")
            if response.status_code == 404:
                raise NotFound(f"organisation {self.config.org} not found or not visible to this token")
            raise_for_status(response, ok=(200,), what=f"GET /orgs/{self.config.org}")
            return f"organisation {json_body(response).get('login', self.config.org)}"
        return probe_checks(probe)

    # -- accounts ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        login = subject.handles.get("github", "").strip().lstrip("@")
        if not login:
            raise PrincipalNotFound(f"no GitHub login known for {subject.email}: add handles.github to the "
                                    "directory (looking logins up through SAML identities is not supported)")
        response = self.api.request("GET", f"users/{segment(login)}")
        if response.status_code == 404:
            raise PrincipalNotFound(f"GitHub user {login} does not exist", http_status=404)
        raise_for_status(response, ok=(200,), what=f"GET /users/{login}")
        user = response.json()
        return PrincipalRef(id=user["login"], display=user.get("name") or user["login"])

    # -- targets -------------------------------------------------------------------------------
    @staticmethod
    def _team_slug(target: Target) -> str | None:
        """None for the organisation itself, else the team's slug; anything else is refused."""
        if target.ref == "org":
            return None
        if target.ref.startswith("team:") and target.ref[5:]:
            return target.ref[5:]
        raise InvalidRequest(f"GitHub target must be 'org' or 'team:<slug>', not {target.ref!r}")

    def _membership_path(self, target: Target, login: str) -> str:
        slug = self._team_slug(target)
        team = f"/teams/{segment(slug)}" if slug else ""
        return f"orgs/{self._org}{team}/memberships/{segment(login)}"

    def _role(self, target: Target) -> str:
        is_org = target.ref == "org"
        role = str(target.options.get("role") or
                   (self.config.default_org_role if is_org else self.config.default_team_role)).lower()
        allowed = ("member", "admin") if is_org else ("member", "maintainer")
        if role not in allowed:
            raise InvalidRequest(f"GitHub {target.ref} role must be one of {', '.join(allowed)}, not {role!r}")
        return role

    def _membership(self, path: str) -> dict[str, Any] | None:
        response = self.api.request("GET", path)
        if response.status_code == 404:
            return None
        raise_for_status(response, ok=(200,), what=f"GET /{path}")
        return response.json()

    def _write(self, method: str, path: str, action_id: str, target: Target, **kwargs: Any) -> httpx.Response:
        with self.writes():
            response = self.api.request(method, path, **kwargs)
        if response.status_code == 403 and self._team_synced(target, response):
            raise ManagedExternally(f"GitHub {target.ref} is synchronised with an identity-provider group; "
                                    "change the membership in the IdP", http_status=403)
        log.info("github %s: %s /%s -> %s (action %s)", self.name, method, path, response.status_code, action_id)
        return response

    def _external_groups(self, slug: str) -> list[str]:
        """The external groups a team is linked to (Enterprise Managed Users), cached per team.

        docs.github.com/enterprise-cloud@latest/rest/teams/external-groups: "List a connection
        between an external group and a team" answers ``{"groups": [{"group_id", "group_name"...}]}``
        and exists only for organisations of an enterprise with managed users; elsewhere any other
        answer means no link.
        """
        now = self._monotonic()
        with self._team_links_lock:
            cached = self._team_links.get(slug)
            if cached and now - cached[0] < self.config.team_cache_seconds:
                return cached[1]
        response = self.api.request("GET", f"orgs/{self._org}/teams/{segment(slug)}/external-groups")
        groups = json_body(response).get("groups") if response.status_code == 200 else []
        names = [str(g.get("group_name") or g.get("group_id")) for g in groups or [] if isinstance(g, dict)]
        with self._team_links_lock:
            self._team_links[slug] = (now, names)
        return names

    def _ensure_changeable(self, target: Target) -> None:
        slug = self._team_slug(target)
        if slug is None:
            return
        linked = self._external_groups(slug)
        if linked:
            raise ManagedExternally(f"GitHub {target.ref} is linked to the external group {', '.join(linked)} "
                                    "(Enterprise Managed Users): its members come from the identity provider; "
                                    "change the group there", provider_code="EXTERNAL_GROUP")

    def _team_synced(self, target: Target, refusal: httpx.Response) -> bool:
        """Whether a 403 on a team write comes from team sync: by its message, else by the team's IdP
        group mappings (GitHub does not document the refusal's wording)."""
        slug = self._team_slug(target)
        if slug is None:
            return False
        message = str(json_body(refusal).get("message", "")).lower()
        if any(marker in message for marker in SYNC_MARKERS):
            return True
        response = self.api.request("GET", f"orgs/{self._org}/teams/{segment(slug)}/team-sync/group-mappings")
        return response.status_code == 200 and bool(json_body(response).get("groups"))

    @staticmethod
    def _pending(login: str, membership: dict[str, Any], status: int | None = None) -> ActionResult:
        return ActionResult(Outcome.PENDING, target_ref=f"invitation:{login}", http_status=status,
                            detail=f"invitation pending (state={membership.get('state')}, "
                                   f"role={membership.get('role')}); {login} must accept it")

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        path, role = self._membership_path(target, principal.id), self._role(target)
        self._ensure_changeable(target)
        current = self._membership(path)
        if current and (current.get("role") == role or (role == "member" and current.get("role") in ELEVATED)):
            if current.get("state") == "pending" and not dry_run:
                return self._pending(principal.id, current)
            if current.get("state") == "pending":
                return settled("invitation already pending", dry_run=True)
            return settled(f"already {current.get('role')}", dry_run=dry_run)
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"PUT /{path} role={role}",))
        response = self._write("PUT", path, action_id, target, json={"role": role})
        if response.status_code == 404:
            raise TargetNotFound(f"GitHub {target.ref} in {self.config.org} not found (or {principal.id} unknown)",
                                 http_status=404)
        raise_for_status(response, ok=(200,), what=f"PUT /{path}")
        membership = response.json()
        if membership.get("state") == "pending":
            return self._pending(principal.id, membership, 200)
        return ActionResult(Outcome.APPLIED, http_status=200, detail=f"{membership.get('state')} {role}")

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        path, role = self._membership_path(target, principal.id), self._role(target)
        self._ensure_changeable(target)
        if role not in ELEVATED and target.retained:
            # Another live grant gives an elevated role on this membership: removing the person
            # would take that away too (revoking the elevated role later demotes to member).
            kept = ", ".join(sorted({self._role(Target(target.ref, options=o)) for o in target.retained}))
            return settled(f"kept: another grant still gives {kept}", dry_run=dry_run)
        current = self._membership(path)
        if current is None or (role in ELEVATED and current.get("role") != role):
            return settled("not a member" if current is None else "role not held", dry_run=dry_run)
        if role in ELEVATED:  # take the elevated role away, keep the membership
            if dry_run:
                return ActionResult(Outcome.PLANNED, planned_calls=(f"PUT /{path} role=member",))
            response = self._write("PUT", path, action_id, target, json={"role": "member"})
            raise_for_status(response, ok=(200,), what=f"PUT /{path}")
            return ActionResult(Outcome.APPLIED, http_status=200, detail=f"demoted from {role} to member")
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"DELETE /{path}",))
        response = self._write("DELETE", path, action_id, target)
        if response.status_code == 404:
            return ActionResult(Outcome.ALREADY, http_status=404, detail="not a member")
        raise_for_status(response, ok=(204,), what=f"DELETE /{path}")
        return ActionResult(Outcome.APPLIED, http_status=204)

    def poll(self, principal: PrincipalRef, target: Target, pending: ActionResult) -> ActionResult:
        path = self._membership_path(target, principal.id)
        current = self._membership(path)
        if current is None:
            raise NotFound(f"the invitation of {principal.id} to {target.ref} no longer exists "
                           "(declined, expired or cancelled); grant again to re-invite")
        if current.get("state") == "pending":
            return self._pending(principal.id, current)
        return ActionResult(Outcome.APPLIED, http_status=200, detail=f"invitation accepted ({current.get('role')})")

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        role = self._role(target)
        current = self._membership(self._membership_path(target, principal.id))
        return bool(current and current.get("state") == "active"
                    and (role == "member" or current.get("role") == role))

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([member for page in self.member_pages(target) for member in page])

    def member_pages(self, target: Target) -> Iterator[list[PrincipalRef]]:
        role, slug = self._role(target), self._team_slug(target)
        path = f"orgs/{self._org}/teams/{segment(slug)}/members" if slug else f"orgs/{self._org}/members"
        role_filter = role if role in ELEVATED else "all"

        def missing(response: httpx.Response) -> None:
            if response.status_code == 404:
                raise TargetNotFound(f"GitHub {target.ref} not found in {self.config.org}", http_status=404)

        def read_page(response: httpx.Response) -> tuple[list[Any], str | None]:
            return response.json(), response.links.get("next", {}).get("url")

        for users in pages(self.api, path, read_page, params={"per_page": self.config.page_size, "role": role_filter},
                           what=f"list members of {target.ref}", on_status=missing):
            yield [PrincipalRef(id=u["login"], display=u["login"]) for u in users]

    def describe(self, target: Target) -> str:
        return f"{self.name}: GitHub {self.config.org} {target.ref}"
