"""The connector contract. Every target system (SCIM app, Okta, GitHub, AWS...) implements it.

Guarantees every implementation gives, so callers never special-case a vendor:

* Idempotent convergence: ``grant; grant`` and ``revoke; revoke`` end in the same state and the
  second call returns ``Outcome.ALREADY`` with no side effect. Vendors' "already a member" and
  "not a member" answers (409, 404 on remove, SCIM ``noTarget``...) map to ALREADY inside the
  connector, never to an error.
* Failures raise one of ``connectors.errors`` (TransientError, RateLimited, AuthError,
  NotFound..., ManagedExternally, InvalidRequest, Unsupported). Nothing else escapes except
  programming errors.
* ``dry_run=True`` sends no write: it resolves what it can and returns ``Outcome.PLANNED`` with
  the calls it would make in ``planned_calls``.
* Asynchronous targets (AWS IAM Identity Center, GitHub invitations, manual tasks) return
  ``Outcome.PENDING`` with ``target_ref`` set; ``poll()`` is then called later with that result
  until it returns APPLIED/ALREADY or raises.
* Connectors never sleep long: retry waits above a few seconds surface as ``RateLimited`` so the
  scheduler, not a blocked thread, waits.
* Connectors are synchronous and thread-safe: offboarding calls one instance from several threads.
* Details and planned calls never contain credentials.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from connectors.config import ConnectorOptions
from connectors.errors import Unsupported
from connectors.targets import FreeTarget, TargetSpec


class Outcome(StrEnum):
    APPLIED = "applied"  # we changed the target
    ALREADY = "already"  # the target was already in the desired state
    PENDING = "pending"  # the target works asynchronously; poll later
    PLANNED = "planned"  # dry run: nothing was sent


@dataclass(frozen=True)
class Subject:
    """A person as accessbot knows them; connectors map it to their own account id."""

    email: str
    name: str = ""
    person_id: int | None = None
    slack_user_id: str | None = None
    # Per-system handles from the directory (e.g. {"github": "octocat", "okta_id": "00u..."}).
    handles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrincipalRef:
    """The target's own identifier for an account, plus something readable for reports."""

    id: str
    display: str = ""


@dataclass(frozen=True)
class Target:
    """What an entitlement provisions in the target: a group id, a team slug, a permission set...

    ``ref`` comes from the catalog entitlement's ``target``; ``options`` from its ``target_options``.
    The special ref ``"account"`` means the account itself (create/activate, deactivate).
    """

    ref: str
    options: Mapping[str, Any] = field(default_factory=dict)
    entitlement: str = ""  # "app:role", for messages and tasks
    # On a revoke: the target options of the person's other live grants on the same ref with other
    # options (a MEMBER grant beside the MANAGER one being revoked): what the revoke must leave in
    # place. Only connectors whose Capabilities.revokes_by_options is true receive it non-empty.
    retained: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_account(self) -> bool:
        return self.ref == "account"


@dataclass(frozen=True)
class ActionResult:
    outcome: Outcome
    target_ref: str | None = None  # AWS RequestId, GitHub invitation id, manual task id
    detail: str | None = None
    http_status: int | None = None
    planned_calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    list_members: bool = True
    suspend: bool = False
    reactivate: bool = False  # undo a suspend (re-hires); whoever can suspend should offer it
    end_sessions: bool = False
    async_grants: bool = False  # grant/revoke may return PENDING
    manual: bool = False  # a person does the work (tasks), not an API
    # Target options split one ref into separate access (roles in a group, permission sets in an
    # account), and revoke honours ``Target.retained``. Otherwise a revoke while another grant on
    # the same ref is live is skipped: that grant still covers the access.
    revokes_by_options: bool = False
    # ``last_activity`` reads when each account was last active (bot.usage); False: usage is unknown.
    last_activity: bool = False


class ActivityMeaning(StrEnum):
    """What a last-activity figure measures: a login is not use of one particular entitlement."""

    LOGIN = "login"  # the person signed in to the identity provider / directory
    APP_SIGN_IN = "app_sign_in"  # the person signed in to this application
    ENTITLEMENT_USE = "entitlement_use"  # the target saw this access itself being used
    ACCOUNT_USE = "account_use"  # any use of the account the target can see (API, web, git...)


@dataclass(frozen=True)
class Activity:
    """One account's last activity; ``last_at`` None: the target cannot tell (never "never used")."""

    account: PrincipalRef
    last_at: datetime | None


@dataclass(frozen=True)
class ActivityPage:
    """One page of a last-activity listing; ``cursor`` resumes after it (None: the listing is done)."""

    activity: tuple[Activity, ...]
    cursor: str | None
    meaning: ActivityMeaning
    source: str  # the field read, for people ("Okta users.lastLogin")


@dataclass(frozen=True)
class Check:
    """One line of ``accessbot connectors check``."""

    name: str  # "config", "credentials", "reachability"
    ok: bool
    detail: str = ""
    error_kind: str | None = None  # a connectors.errors kind when not ok


class Connector(abc.ABC):
    """Base of every connector. Subclasses set ``kind`` and ``capabilities``.

    ``name`` is the instance name from the connectors config (several instances of one kind may
    exist, e.g. two SCIM apps). ``options`` is that instance's validated option mapping, with
    secrets already resolved by the registry (never logged).
    """

    kind: ClassVar[str]
    # What every instance of the class can do; a class whose options change that (a manual system
    # with no accounts cannot suspend one) overrides ``capabilities_for`` and sets it per instance.
    capabilities: Capabilities = Capabilities()
    # The schemas of this type's options (the connectors file) and targets (the catalog's
    # ``target:`` + ``target_options:``); ``policy check`` validates both without building anything.
    options_model: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    target_model: ClassVar[type[TargetSpec]] = FreeTarget
    # True for classes whose __init__ takes ``host=`` (a connectors.host.ConnectorHost): the
    # registry then passes the service's shared lock and learned facts.
    uses_host: ClassVar[bool] = False

    def __init__(self, name: str, options: Mapping[str, Any]):
        self.name = name
        self.options = dict(options)

    @classmethod
    def capabilities_for(cls, name: str, options: Mapping[str, Any]) -> Capabilities:
        """What an instance with these (unresolved) options would offer: the simulation of an instance
        (``ACCESSBOT_SIMULATE_CONNECTORS``) offers exactly this, never more than the real one."""
        return cls.capabilities

    # -- lifecycle ---------------------------------------------------------------------------
    def check(self) -> list[Check]:
        """Validate configuration, credentials and reachability; never raises, reports instead."""
        return [Check("config", True)]

    def close(self) -> None:
        """Release HTTP clients and other resources."""

    # -- accounts ----------------------------------------------------------------------------
    @abc.abstractmethod
    def resolve(self, subject: Subject) -> PrincipalRef:
        """Map a person to the target's account. Raises PrincipalNotFound or AmbiguousPrincipal."""

    # -- entitlements ------------------------------------------------------------------------
    @abc.abstractmethod
    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str,
              dry_run: bool = False) -> ActionResult:
        """Give ``principal`` the ``target``. ALREADY when it already holds it."""

    @abc.abstractmethod
    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str,
               dry_run: bool = False) -> ActionResult:
        """Take ``target`` away from ``principal``. ALREADY when it did not hold it."""

    @abc.abstractmethod
    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        """Whether the target currently shows the principal holding ``target``."""

    def poll(self, principal: PrincipalRef, target: Target, pending: ActionResult) -> ActionResult:
        """Follow a PENDING result: PENDING again, APPLIED/ALREADY when done, or raise on failure."""
        raise Unsupported(f"{self.kind} has no asynchronous operations to poll")

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        """Every principal the target shows holding ``target`` (for drift detection).

        Must raise rather than return a partial list: callers treat the result as complete.
        """
        raise Unsupported(f"{self.kind} cannot list members")

    def member_pages(self, target: Target) -> Iterator[Sequence[PrincipalRef]]:
        """The same listing, page by page as the target sends it, so a caller can count and show
        progress without waiting for the whole list. A page that fails raises mid-way: the pages
        already yielded are then a partial list, which the caller must discard (reconcile reports
        the target as not listed). Vendors that page override this; the default is one page."""
        yield list(self.list_members(target))

    # -- account-wide actions (capability-gated) ---------------------------------------------
    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        """Disable the account (not delete it). ALREADY when it was already suspended."""
        raise Unsupported(f"{self.kind} cannot suspend accounts")

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        """Enable a suspended account again. ALREADY when it is active; an account that is off in a
        way ``suspend`` never causes (deactivated, deprovisioned, never activated) raises
        InvalidRequest rather than being brought back by another route."""
        raise Unsupported(f"{self.kind} cannot reactivate accounts")

    def end_sessions(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        """Sign the person out everywhere the target can."""
        raise Unsupported(f"{self.kind} cannot end sessions")

    # -- usage (capability-gated) ------------------------------------------------------------
    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        """One page of every account's last activity, from ``cursor`` (None: the start). Raises
        RateLimited (with ``retry_after``) rather than waiting long: the collector resumes at the cursor."""
        raise Unsupported(f"{self.kind} cannot tell when accounts were last used")

    def describe(self, target: Target) -> str:
        """A short human label for a target in reports."""
        return f"{self.name}:{target.ref}"
