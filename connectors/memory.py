"""A real, in-process connector: accounts and memberships kept in memory.

Used by the demo and by tests as the reference implementation of the contract; it can also be
told to fail (``fail_next``) or to answer slowly (``delay``) so callers can be tested against
half-broken targets without patching anything.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

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
from connectors.config import ConnectorOptions
from connectors.errors import ConnectorError, PrincipalNotFound


class MemoryOptions(ConnectorOptions):
    delay_seconds: float = Field(0.0, ge=0)  # each mutating call waits this long (load tests)


class MemoryConnector(Connector):
    kind = "memory"
    options_model = MemoryOptions
    capabilities = Capabilities(list_members=True, suspend=True, reactivate=True, end_sessions=True,
                                last_activity=True)

    def __init__(self, name: str, options: Mapping[str, Any] | None = None, *,
                 capabilities: Capabilities | None = None):
        """``capabilities``: offer less than the in-memory target can (the simulation of another type)."""
        super().__init__(name, options or {})
        if capabilities is not None:
            self.capabilities = capabilities
        self._lock = threading.Lock()
        self.members: dict[str, set[str]] = defaultdict(set)
        self.suspended: set[str] = set()
        self.sessions_ended: list[str] = []
        # Unless restricted, any e-mail address has an account here.
        self.known_accounts: set[str] | None = None
        self.delay = float(self.options.get("delay_seconds", 0.0))
        self._failures: list[ConnectorError] = []
        self.calls: list[tuple[str, str, str]] = []
        # Accounts listed by last_activity: e-mail -> last use (None: the target cannot tell).
        self.last_seen: dict[str, datetime | None] = {}
        self.activity_page_size = 100
        self.activity_failures: list[ConnectorError] = []

    # -- test controls -------------------------------------------------------------------------
    def fail_next(self, *errors: ConnectorError) -> None:
        """Raise these errors, in order, from the next mutating calls."""
        with self._lock:
            self._failures.extend(errors)

    def _maybe_fail(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            if self._failures:
                raise self._failures.pop(0)

    # -- contract ------------------------------------------------------------------------------
    def check(self) -> list[Check]:
        return [Check("config", True, "in-memory"), Check("reachability", True)]

    def resolve(self, subject: Subject) -> PrincipalRef:
        email = subject.email.lower()
        if self.known_accounts is not None and email not in self.known_accounts:
            raise PrincipalNotFound(f"no account for {email} in {self.name}")
        return PrincipalRef(id=email, display=email)

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"add {principal.id} to {target.ref}",))
        self._maybe_fail()
        with self._lock:
            self.calls.append(("grant", principal.id, target.ref))
            if principal.id in self.members[target.ref]:
                return ActionResult(Outcome.ALREADY)
            self.members[target.ref].add(principal.id)
        return ActionResult(Outcome.APPLIED)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"remove {principal.id} from {target.ref}",))
        self._maybe_fail()
        with self._lock:
            self.calls.append(("revoke", principal.id, target.ref))
            if principal.id not in self.members[target.ref]:
                return ActionResult(Outcome.ALREADY)
            self.members[target.ref].discard(principal.id)
        return ActionResult(Outcome.APPLIED)

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        with self._lock:
            return principal.id in self.members[target.ref]

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        with self._lock:
            ids = sorted(self.members[target.ref])
        return iter([PrincipalRef(id=i, display=i) for i in ids])

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"suspend {principal.id}",))
        self._maybe_fail()
        with self._lock:
            self.calls.append(("suspend", principal.id, ""))
            if principal.id in self.suspended:
                return ActionResult(Outcome.ALREADY)
            self.suspended.add(principal.id)
        return ActionResult(Outcome.APPLIED)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"reactivate {principal.id}",))
        self._maybe_fail()
        with self._lock:
            self.calls.append(("reactivate", principal.id, ""))
            if principal.id not in self.suspended:
                return ActionResult(Outcome.ALREADY)
            self.suspended.discard(principal.id)
        return ActionResult(Outcome.APPLIED)

    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        with self._lock:
            if self.activity_failures:
                raise self.activity_failures.pop(0)
            emails = sorted(self.last_seen)
            start = int(cursor or 0)
            chunk = emails[start:start + self.activity_page_size]
            activity = tuple(Activity(PrincipalRef(e, e), self.last_seen[e]) for e in chunk)
        following = str(start + len(chunk)) if start + len(chunk) < len(emails) else None
        return ActivityPage(activity, following, ActivityMeaning.APP_SIGN_IN, "memory last_seen")

    def end_sessions(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(f"end sessions of {principal.id}",))
        self._maybe_fail()
        with self._lock:
            self.sessions_ended.append(principal.id)
        return ActionResult(Outcome.APPLIED)
