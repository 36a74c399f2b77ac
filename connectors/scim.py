"""Generic SCIM 2.0 connector (RFC 7643/7644): group membership by PATCH, accounts by ``active``.

accessbot is the SCIM client here, in the role Okta and Entra play, and sends what they send.

* Membership is checked before it is changed (``GET /Groups?filter=id eq … and members[value eq …]``)
  so APPLIED and ALREADY are told apart honestly: many servers answer 204 to a duplicate add and
  to the removal of an absent member. If the membership filter is refused, the group's
  ``members`` are read instead. Duplicate answers (409, 400 uniqueness) and ``noTarget`` on
  remove still map to ALREADY when another writer raced us.
* Removal names the member, by filter (RFC/Okta) or by value (Entra). A remove of ``members``
  without either would empty the group and is refused before it is sent. A target that refuses
  the Entra form, or the membership filter, is remembered through the host's learned facts
  (``connectors.host``): the bot keeps them in its database, so a restart or another replica does
  not learn it again with a failing call.
* No If-Match on membership PATCH: add/remove commute, and a stale ETag would fail a correct
  change (412). Nothing here does a read-modify-write PUT.
* ``list_members`` reads the group's members (``member_listing: group``) or pages
  ``/Users?filter=groups.value eq …`` (``user_filter``) for servers that leave members out of
  group reads; either way it returns all members or raises. Pages follow RFC 9865 cursors when
  the server announces them (``pagination: auto``), since an index shifts when a user is removed
  mid-listing and would skip someone; otherwise ``startIndex``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr, field_validator

from connectors import scim_activity
from connectors import scim_wire as wire
from connectors.base import (
    ActionResult,
    ActivityPage,
    Capabilities,
    Check,
    Connector,
    Outcome,
    PrincipalRef,
    Subject,
    Target,
)
from connectors.config import ConnectorOptions, https_url, parse_options
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    ConnectorError,
    InvalidRequest,
    NotFound,
    PrincipalNotFound,
    TargetNotFound,
)
from connectors.host import ConnectorHost
from connectors.http import ApiClient, raise_for_status
from connectors.targets import TargetSpec

log = logging.getLogger(__name__)
Result = TypeVar("Result")

LOOKUP_FILTERS = {
    "userName": "userName eq {}",
    "email": "emails.value eq {}",
    "work_email": 'emails[type eq "work"].value eq {}',
}
MAX_PAGES = 10_000
# Learned facts (connectors.host.LearnedFacts) and the one value each may hold.
REMOVE_STYLE = "remove_style"  # "filter": the target refused the Entra form
MEMBERSHIP_CHECK = "membership_check"  # "read_members": the target refuses or ignores the membership filter
MEMBER_LISTING = "member_listing"  # "group": /Users?filter=groups.value answers nobody for a group with members
GROUP_BY_NAME = "group_id:"  # + a hash of a displayName: the id the target gave that group
NAME_PREFIX = "name:"  # a target written as the group's displayName, not its id


class ScimTarget(TargetSpec):
    """``account`` (the account's ``active``), a group's id, or ``name:<displayName>`` for a group
    whose id the target assigns: it is looked up once and remembered."""

    @field_validator("target")
    @classmethod
    def _group(cls, value: str) -> str:
        if value.startswith(NAME_PREFIX) and not value[len(NAME_PREFIX):].strip():
            raise ValueError("'name:' needs the group's displayName after it (name:Engineering)")
        if value in ("", ".", "..") or "/" in value:
            raise ValueError("must be 'account', a group id, or name:<the group's displayName>")
        return value


class ScimOptions(ConnectorOptions):
    base_url: str
    token: SecretStr
    user_lookup: Literal["userName", "email", "work_email"] = "userName"
    remove_style: Literal["filter", "value"] = "filter"
    member_listing: Literal["group", "user_filter"] = "group"
    page_size: int = Field(100, ge=1, le=1000)
    pagination: Literal["auto", "index", "cursor"] = "auto"  # auto: cursor when /ServiceProviderConfig says so
    timeout: float = Field(15.0, gt=0, le=120)
    max_inline_wait: float = Field(5.0, ge=0, le=60)
    retry_backoff: float = Field(0.5, gt=0, le=10)
    # No SCIM standard says when a user last signed in: the app's own attribute, when it has one
    # (connectors/scim_activity.py); without it usage on this target is unknown.
    last_activity_attribute: str | None = Field(None, min_length=1, max_length=300)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return https_url(value).rstrip("/")


class ScimConnector(Connector):
    kind = "scim"
    options_model = ScimOptions
    target_model = ScimTarget
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True)
    uses_host = True

    def __init__(self, name: str, options: Mapping[str, Any], *, host: ConnectorHost | None = None):
        super().__init__(name, options)
        self.settings = parse_options(ScimOptions, name, options)
        self.capabilities = self.capabilities_for(name, options)
        self.host = host or ConnectorHost()
        # What the target taught us; read from the host's facts on first use (None: not read yet).
        self._remove_style: str | None = None
        self._membership_filter_works: bool | None = None
        self._member_listing: str | None = None
        self._cursor_paging: bool | None = None  # from the option, or /ServiceProviderConfig on first use
        self.http = ApiClient(
            self.settings.base_url,
            headers={"Authorization": f"Bearer {self.settings.token.get_secret_value()}",
                     "Accept": f"{wire.SCIM_JSON}, application/json", "User-Agent": "accessbot-scim"},
            timeout=self.settings.timeout, max_inline_wait=self.settings.max_inline_wait,
            backoff=self.settings.retry_backoff,
        )

    def close(self) -> None:
        self.http.close()

    # -- accounts ------------------------------------------------------------------------------
    @classmethod
    def capabilities_for(cls, name: str, options: Mapping[str, Any]) -> Capabilities:
        return replace(cls.capabilities, last_activity=bool(options.get("last_activity_attribute")))

    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        if not self.settings.last_activity_attribute:
            return super().last_activity(cursor)
        return scim_activity.page(self, cursor)

    def resolve(self, subject: Subject) -> PrincipalRef:
        scim_filter = LOOKUP_FILTERS[self.settings.user_lookup].format(wire.quoted(subject.email))
        response = self._get("/Users", params={"filter": scim_filter, "count": 2,
                                               "attributes": "id,userName,emails"})
        self._raise_unless_ok(response, "look up the user", not_found=PrincipalNotFound)
        page = wire.list_page(response, f"{self.name}: user lookup")
        found = page.total if page.total is not None else len(page.resources)
        if found == 0 or not page.resources:
            raise PrincipalNotFound(f"{self.name}: no account matches {subject.email} "
                                    f"(by {self.settings.user_lookup})")
        if found > 1:
            raise AmbiguousPrincipal(f"{self.name}: {found} accounts match {subject.email}; refusing to guess")
        user = page.resources[0]
        if not wire.user_matches(user, subject.email, by_email=self.settings.user_lookup != "userName"):
            # A server that ignores the filter returns whoever comes first: never provision them.
            raise InvalidRequest(f"{self.name}: the target answered the lookup of {subject.email} with another "
                                 f"account; it does not apply SCIM filters")
        return PrincipalRef(id=str(user["id"]), display=str(user.get("userName") or subject.email))

    # -- entitlements --------------------------------------------------------------------------
    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str,
              dry_run: bool = False) -> ActionResult:
        if target.is_account:
            return self._set_active(principal, True, dry_run=dry_run)
        user_id = _principal_id(principal)
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"PATCH /Groups/{target.ref} add member {user_id}",))
        return self._in_group(target.ref, lambda group_id: self._add(group_id, principal, user_id))

    def _add(self, group_id: str, principal: PrincipalRef, user_id: str) -> ActionResult:
        if self._is_member(group_id, user_id):
            return ActionResult(Outcome.ALREADY, detail=f"{principal.display or user_id} is already a member")
        # RFC 7644 does not oblige a server to refuse a member value that names nobody, and
        # scim2-server stores it: a grant to a user who does not exist would look APPLIED.
        self._read_active(user_id)  # PrincipalNotFound before any write
        return ActionResult(self._patch_group(group_id, user_id, wire.add_member_body(user_id), adding=True))

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str,
               dry_run: bool = False) -> ActionResult:
        if target.is_account:
            return self._set_active(principal, False, dry_run=dry_run)
        user_id = _principal_id(principal)
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(
                f"PATCH /Groups/{target.ref} remove member {user_id} ({self.remove_style} form)",))
        return self._in_group(target.ref, lambda group_id: self._remove(group_id, principal, user_id))

    def _remove(self, group_id: str, principal: PrincipalRef, user_id: str) -> ActionResult:
        if not self._is_member(group_id, user_id):
            self._require_group(group_id)
            return ActionResult(Outcome.ALREADY, detail=f"{principal.display or user_id} is not a member")
        return ActionResult(self._remove_member(group_id, user_id))

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        if target.is_account:
            return self._read_active(_principal_id(principal)) is not False
        user_id = _principal_id(principal)
        return self._in_group(target.ref, lambda group_id: self._holds(group_id, user_id))

    def _holds(self, group_id: str, user_id: str) -> bool:
        if self._is_member(group_id, user_id):
            return True
        self._require_group(group_id)
        return False

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        if target.is_account:
            return iter(self._page_users("active eq true"))
        return iter(self._in_group(target.ref, self._members_of))

    def _members_of(self, group_id: str) -> list[PrincipalRef]:
        if self.member_listing != "user_filter":
            return self._group_members(group_id)
        self._require_group(group_id)
        found = self._page_users(f"groups.value eq {wire.quoted(group_id)}")
        if found:
            return found
        # Nobody: an empty group, or a server that does not keep the read-only User.groups
        # (RFC 7643 §4.1.2; stock scim2-server does not). Only the group itself can tell.
        members = self._group_members(group_id)
        if members:
            log.warning("%s: /Users?filter=groups.value answers nobody for group %s, which has %d members; "
                        "reading group members from now on", self.name, group_id, len(members))
            self._member_listing = "group"
            self.host.facts.remember(self.name, MEMBER_LISTING, "group")
        return members

    # -- groups written by name ----------------------------------------------------------------
    def _in_group(self, ref: str, action: Callable[[str], Result]) -> Result:
        """Run ``action`` on the group's id. A name's remembered id that the target no longer knows
        (the group was recreated) is looked up again, once."""
        if not ref.startswith(NAME_PREFIX):
            return action(ref)
        name = ref[len(NAME_PREFIX):]
        remembered = self.host.facts.recall(self.name, _name_fact(name))
        if remembered is None:
            return action(self._look_up_group(name))
        try:
            return action(remembered)
        except TargetNotFound:
            current = self._look_up_group(name)
            if current == remembered:
                raise
            return action(current)

    def _look_up_group(self, name: str) -> str:
        response = self._get("/Groups", params={"filter": f"displayName eq {wire.quoted(name)}",
                                                "attributes": "id,displayName", "count": 2})
        self._raise_unless_ok(response, f"look up group {name!r}", not_found=TargetNotFound)
        page = wire.list_page(response, f"{self.name}: group lookup")
        matching = [g for g in page.resources if str(g.get("displayName", "")).casefold() == name.casefold()]
        if not matching or not matching[0].get("id"):
            raise TargetNotFound(f"{self.name}: no group named {name!r}")
        if len(matching) > 1 or (page.total or 0) > 1:
            raise InvalidRequest(f"{self.name}: several groups are named {name!r}; write the target as the id")
        group_id = str(matching[0]["id"])
        self.host.facts.remember(self.name, _name_fact(name), group_id)
        return group_id

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_active(principal, False, dry_run=dry_run)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._set_active(principal, True, dry_run=dry_run)

    # -- checks --------------------------------------------------------------------------------
    def check(self) -> list[Check]:
        checks = [Check("config", True, f"{self.settings.base_url} (users by {self.settings.user_lookup}, "
                                        f"remove by {self.remove_style}{self._learned_note()})")]
        try:
            checks.append(self._check_service_provider())
            checks.append(self._check_token())
        except ConnectorError as exc:
            name = "credentials" if isinstance(exc, AuthError) else "reachability"
            checks.append(Check(name, False, exc.detail, exc.kind))
        return checks

    def _learned_note(self) -> str:
        """What the target taught us, for ``connectors check``: the configuration may want updating."""
        notes = []
        if self.remove_style != self.settings.remove_style:
            notes.append(f"learned: the target refuses remove_style {self.settings.remove_style}")
        if not self.membership_filter_works:
            notes.append("learned: the target refuses the membership filter, members are read instead")
        if self.member_listing != self.settings.member_listing:
            notes.append("learned: the target does not keep User.groups, so member_listing user_filter finds "
                         "nobody; group members are read instead (set member_listing: group)")
        return "".join(f"; {note}" for note in notes)

    def _check_service_provider(self) -> Check:
        response = self._get("/ServiceProviderConfig")
        self._raise_unless_ok(response, "read /ServiceProviderConfig", not_found=NotFound)
        config = wire.json_body(response) or {}
        patch = wire.as_bool((config.get("patch") or {}).get("supported"))
        if patch is False:
            return Check("reachability", False, "the target says it does not support PATCH", "unsupported")
        filtering = wire.as_bool((config.get("filter") or {}).get("supported"))
        return Check("reachability", True, "SCIM service provider config read"
                     + ("" if filtering is not False else "; warning: filtering unsupported, lookups will fail"))

    def _check_token(self) -> Check:
        # The service provider config may be public (RFC 7643 §5): prove the token on a real read.
        response = self._get("/Users", params={"startIndex": 1, "count": 1, "attributes": "id"})
        self._raise_unless_ok(response, "read /Users with the token", not_found=NotFound)
        return Check("credentials", True, "token accepted")

    # -- what the target taught us -------------------------------------------------------------
    @property
    def remove_style(self) -> str:
        """The configured removal form, unless the target refused the Entra form (then the RFC form)."""
        if self._remove_style is None:
            refused = (self.settings.remove_style == "value"
                       and self.host.facts.recall(self.name, REMOVE_STYLE) == "filter")
            self._remove_style = "filter" if refused else self.settings.remove_style
        return self._remove_style

    @property
    def member_listing(self) -> str:
        """The configured listing, unless the target showed it does not keep User.groups."""
        if self._member_listing is None:
            learned = self.host.facts.recall(self.name, MEMBER_LISTING)
            self._member_listing = learned or self.settings.member_listing
        return self._member_listing

    @property
    def membership_filter_works(self) -> bool:
        if self._membership_filter_works is None:
            self._membership_filter_works = self.host.facts.recall(self.name, MEMBERSHIP_CHECK) != "read_members"
        return self._membership_filter_works

    def _learn_remove_style_filter(self) -> None:
        self._remove_style = "filter"
        self.host.facts.remember(self.name, REMOVE_STYLE, "filter")

    def _learn_membership_filter_fails(self) -> None:
        self._membership_filter_works = False
        self.host.facts.remember(self.name, MEMBERSHIP_CHECK, "read_members")

    # -- membership internals ------------------------------------------------------------------
    def _is_member(self, group_id: str, user_id: str) -> bool:
        if self.membership_filter_works:
            response = self._get("/Groups", params={"filter": wire.membership_filter(group_id, user_id),
                                                    "excludedAttributes": "members"})
            refusal = wire.scim_error(response) if response.status_code in (400, 501) else None
            if refusal is not None and refusal.scim_type != "tooMany":
                log.warning("%s: membership filter refused (%s); reading group members instead",
                            self.name, refusal.describe())
                self._learn_membership_filter_fails()
            else:
                self._raise_unless_ok(response, f"check membership in group {group_id}", not_found=TargetNotFound)
                groups = wire.list_page(response, self.name).resources
                if all(str(g.get("id")) == group_id for g in groups) and len(groups) <= 1:
                    return bool(groups)
                # Other groups came back: the filter was ignored and says nothing about membership.
                log.warning("%s: the target ignores the membership filter; reading group members instead", self.name)
                self._learn_membership_filter_fails()
        return any(member_id == user_id for member_id, _ in self._read_members(group_id))

    def _require_group(self, group_id: str) -> None:
        response = self._get(f"/Groups/{_segment(group_id)}", params={"excludedAttributes": "members"})
        self._raise_unless_ok(response, f"read group {group_id}", not_found=TargetNotFound)

    def _read_members(self, group_id: str) -> list[tuple[str, str]]:
        response = self._get(f"/Groups/{_segment(group_id)}", params={"attributes": "members"})
        self._raise_unless_ok(response, f"read the members of group {group_id}", not_found=TargetNotFound)
        body = wire.json_body(response)
        if not isinstance(body, Mapping):
            raise InvalidRequest(f"{self.name}: group {group_id} came back unreadable",
                                 http_status=response.status_code)
        return wire.member_ids(body)

    def _group_members(self, group_id: str) -> list[PrincipalRef]:
        return [PrincipalRef(id=member_id, display=display) for member_id, display in self._read_members(group_id)]

    def _pages_by_cursor(self) -> bool:
        if self._cursor_paging is None:
            if self.settings.pagination != "auto":
                self._cursor_paging = self.settings.pagination == "cursor"
            else:
                response = self._get("/ServiceProviderConfig")
                self._cursor_paging = response.is_success and wire.announces_cursor_paging(wire.json_body(response))
        return self._cursor_paging

    def _page_users(self, scim_filter: str) -> list[PrincipalRef]:
        """Every user matching the filter, page by page; raises instead of returning a partial list."""
        if self._pages_by_cursor():
            return self._page_users_by_cursor(scim_filter)
        found: dict[str, PrincipalRef] = {}
        start = 1
        for _ in range(MAX_PAGES):
            response = self._get("/Users", params={"filter": scim_filter, "startIndex": start,
                                                   "count": self.settings.page_size, "attributes": "id,userName"})
            self._raise_unless_ok(response, "list users", not_found=TargetNotFound)
            page = wire.list_page(response, f"{self.name}: user list")
            new = [u for u in page.resources if u.get("id") and str(u["id"]) not in found]
            if page.resources and not new:
                raise InvalidRequest(f"{self.name}: paging does not advance at startIndex={start}; "
                                     "refusing a partial list")
            for user in new:
                found[str(user["id"])] = PrincipalRef(id=str(user["id"]), display=str(user.get("userName") or ""))
            start += len(page.resources)
            if not page.resources or (page.total is not None and len(found) >= page.total):
                return list(found.values())
        raise InvalidRequest(f"{self.name}: more than {MAX_PAGES} pages of users; refusing a partial list")

    def _page_users_by_cursor(self, scim_filter: str) -> list[PrincipalRef]:
        """RFC 9865: an empty cursor asks for the first page, each page names the next, the last names none.

        An expired or refused cursor mid-listing raises (InvalidRequest), never a partial list.
        """
        found: dict[str, PrincipalRef] = {}
        cursor = ""
        for _ in range(MAX_PAGES):
            response = self._get("/Users", params={"filter": scim_filter, "cursor": cursor,
                                                   "count": self.settings.page_size, "attributes": "id,userName"})
            self._raise_unless_ok(response, "list users", not_found=TargetNotFound)
            page = wire.list_page(response, f"{self.name}: user list")
            for user in page.resources:
                if user.get("id"):
                    found[str(user["id"])] = PrincipalRef(id=str(user["id"]), display=str(user.get("userName") or ""))
            if page.next_cursor is None:
                return list(found.values())
            if page.next_cursor == cursor:
                raise InvalidRequest(f"{self.name}: the target repeats the same cursor; refusing a partial list")
            cursor = page.next_cursor
        raise InvalidRequest(f"{self.name}: more than {MAX_PAGES} pages of users; refusing a partial list")

    def _patch_group(self, group_id: str, user_id: str, body: dict[str, Any], *, adding: bool) -> Outcome:
        wire.assert_targeted_remove(body)
        response = self._patch(f"/Groups/{_segment(group_id)}", body)
        if response.status_code in (200, 204):
            return Outcome.APPLIED
        error = wire.scim_error(response)
        if adding and response.status_code in (400, 409) and error.means_duplicate:
            return Outcome.ALREADY  # another writer added them between our check and our add
        if not adding and response.status_code == 400 and error.scim_type == "noTarget":
            return Outcome.ALREADY  # another writer removed them first
        if response.status_code == 404:
            self._require_group(group_id)  # raises TargetNotFound when the group is the missing one
            raise PrincipalNotFound(f"{self.name}: the target has no user {user_id} ({error.describe()})",
                                    http_status=404, provider_code=error.scim_type)
        self._raise_unless_ok(response, f"change the members of group {group_id}", not_found=TargetNotFound)
        return Outcome.APPLIED

    def _remove_member(self, group_id: str, user_id: str) -> Outcome:
        style = self.remove_style
        try:
            return self._patch_group(group_id, user_id, wire.remove_member_body(user_id, style), adding=False)
        except InvalidRequest as exc:
            # Fall back from the Entra form to the RFC form only. The other way round is unsafe: a
            # server that ignores "value" on a remove of "members" would drop every member.
            if style != "value" or exc.provider_code not in wire.FORM_REFUSED:
                raise
        log.warning("%s: the target refused the Entra remove form; using the RFC filter form from now on", self.name)
        self._learn_remove_style_filter()
        return self._patch_group(group_id, user_id, wire.remove_member_body(user_id, "filter"), adding=False)

    # -- account internals ---------------------------------------------------------------------
    def _set_active(self, principal: PrincipalRef, active: bool, *, dry_run: bool) -> ActionResult:
        user_id = _principal_id(principal)
        if dry_run:
            planned = f"PATCH /Users/{user_id} replace active={str(active).lower()}"
            return ActionResult(Outcome.PLANNED, planned_calls=(planned,))
        if self._read_active(user_id) is active:
            return ActionResult(Outcome.ALREADY, detail=f"account already {'active' if active else 'inactive'}")
        response = self._patch(f"/Users/{_segment(user_id)}", wire.active_body(active))
        self._raise_unless_ok(response, f"set active={active} on user {user_id}", not_found=PrincipalNotFound)
        return ActionResult(Outcome.APPLIED, http_status=response.status_code)

    def _read_active(self, user_id: str) -> bool | None:
        response = self._get(f"/Users/{_segment(user_id)}", params={"attributes": "active"})
        self._raise_unless_ok(response, f"read user {user_id}", not_found=PrincipalNotFound)
        return wire.as_bool((wire.json_body(response) or {}).get("active"))

    # -- HTTP ----------------------------------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.http.request("GET", path, params=params)

    def _patch(self, path: str, body: Mapping[str, Any]) -> httpx.Response:
        return self.http.request("PATCH", path, content=wire.encode(body), headers={"Content-Type": wire.SCIM_JSON})

    def _raise_unless_ok(self, response: httpx.Response, what: str, *, not_found: type[NotFound]) -> None:
        """Map a non-2xx SCIM answer to an error kind; the detail says what we were doing and why it failed."""
        if response.is_success:
            return
        error = wire.scim_error(response)
        detail = f"{self.name}: cannot {what}: {error.describe()}"
        status = response.status_code
        if status == 401:
            raise AuthError(f"{detail} (the target refused the token)", http_status=status,
                            provider_code=error.scim_type)
        if status == 403:
            raise AuthError(f"{detail} (the token lacks permission)", http_status=status, provider_code=error.scim_type)
        if status == 404:
            raise not_found(detail, http_status=status, provider_code=error.scim_type)
        if 400 <= status < 500:
            raise InvalidRequest(detail, http_status=status, provider_code=error.scim_type)
        raise_for_status(response, what=detail)


def _name_fact(name: str) -> str:
    # Fact keys are short (100 characters); a displayName may not be.
    return GROUP_BY_NAME + hashlib.sha256(name.casefold().encode()).hexdigest()[:40]


def _principal_id(principal: PrincipalRef) -> str:
    if not principal.id or not principal.id.strip():
        raise InvalidRequest("a SCIM principal needs its target id (resolve the person first)")
    return principal.id


def _segment(identifier: str) -> str:
    """An id as one URL path segment: a '/', '?' or '..' in an id must not reach another resource."""
    if identifier in ("", ".", ".."):
        raise InvalidRequest(f"{identifier!r} is not a SCIM resource id")
    return quote(identifier, safe="")
