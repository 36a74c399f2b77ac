"""After a move: which access the new attributes no longer allow, and when it goes.

Every live or scheduled grant is checked against the policy with the person's new attributes:
a requested grant must still pass the entitlement's eligibility rule; a birthright grant must
still be given by a birthright rule. What fails is revoked after the catalog's
``mover_grace_period`` (default 7 days), so the hand-over can happen; the person and their (new)
manager are told which access goes and when. When the timer fires the check runs again: moving
back, or a policy change, keeps the access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import EndReason, GrantStatus
from bot.ledger import due, end_grant
from bot.ledger.context import Ctx
from bot.ledger.event_names import GrantEvent
from bot.ledger.events import happened
from bot.lifecycle import birthright
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.timers import LifecycleKind
from bot.lifecycle.verdicts import Verdicts
from bot.store.models import DueAction, Grant, Person
from policies import Entitlement, PersonFacts

REVIEWED = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE)


@dataclass(frozen=True)
class Review:
    losing: list[dict]  # {grant_id, entitlement, reason, revoke_at}
    granted: list[int]  # new birthright grants


class OwnerDepartments:
    """The owners' departments, read once per set of owners and only for rules that read them
    (a re-org checks thousands of grants on a few hundred resources)."""

    def __init__(self, s: Session):
        self.s = s
        self._known: dict[tuple[str, ...], list[str]] = {}

    def of(self, entitlement: Entitlement) -> list[str] | None:
        if not entitlement.reads_owner_departments:
            return None
        key = tuple(entitlement.owners)
        if key not in self._known:
            self._known[key] = directory.owner_departments(self.s, key)
        return self._known[key]


def judge(catalog, ref: str, *, birthright_grant: bool, facts: PersonFacts, rights: set[str],
          owners: OwnerDepartments, verdicts: Verdicts | None = None) -> str | None:
    """Why a grant of ``ref`` is no longer allowed, or None when it still is (no statement per grant).
    ``verdicts``: outcomes already known for people with the same facts (the reason is always this person's)."""
    try:
        entitlement = catalog.entitlement(ref)
    except KeyError:
        return None  # gone from the catalog: a catalog change, not a move, decides that
    if ref in rights:
        return None
    if birthright_grant:
        return f"no birthright rule gives {entitlement.label} to {facts.email} any more"
    if verdicts is not None:
        verdict = verdicts.eligibility(ref, facts, owners.of)
    else:
        verdict = entitlement.is_eligible(facts, owners.of(entitlement))
    return None if verdict.allowed else verdict.reason


def not_allowed(s: Session, ctx: Ctx, grant: Grant, facts: PersonFacts, rights: set[str]) -> str | None:
    """Why ``grant`` is no longer allowed, or None when it still is."""
    return judge(ctx.catalog, grant.entitlement, birthright_grant=birthright.is_birthright(grant), facts=facts,
                 rights=rights, owners=OwnerDepartments(s))


def review(s: Session, ctx: Ctx, person: Person, *, reason: str) -> Review:
    facts = directory.facts(s, person)
    verdicts = Verdicts.of(ctx.catalog)
    rights = {b.entitlement for b in verdicts.birthright(facts)}
    owners = OwnerDepartments(s)
    revoke_at = ctx.now + ctx.catalog.settings.mover_grace_period
    losing, allowed = [], []
    for grant in s.scalars(select(Grant).where(Grant.person_id == person.id, Grant.status.in_(REVIEWED))
                           .order_by(Grant.id)):
        why = judge(ctx.catalog, grant.entitlement, birthright_grant=birthright.is_birthright(grant), facts=facts,
                    rights=rights, owners=owners, verdicts=verdicts)
        if why is None:
            allowed.append(str(grant.id))
            continue
        if grant.ends_at is not None and grant.ends_at <= revoke_at:
            continue  # it ends on its own before the grace period would
        pending = due.pending(s, LifecycleKind.POLICY_REVOKE, grant.id)
        at = min(pending[0].due_at, revoke_at) if pending else revoke_at
        due.schedule(s, LifecycleKind.POLICY_REVOKE, grant.id, at, now=ctx.now, payload={"reason": why})
        losing.append({"grant_id": grant.id, "entitlement": grant.entitlement, "reason": why, "revoke_at": at})
    if allowed:  # allowed again (moved back): one statement for all, not one per grant
        s.execute(update(DueAction).where(DueAction.status == "scheduled",
                                          DueAction.kind == LifecycleKind.POLICY_REVOKE.value,
                                          DueAction.ref_id.in_(allowed)).values(status="cancelled"))
    if losing:
        manager = directory.manager_of(s, person)
        happened(s, ctx, LifecycleEventName.ACCESS_ENDING, subject_type="person", subject_id=person.id,
                 person_email=person.email,
                 detail={"person_email": person.email, "manager_email": manager.email if manager else None,
                         "grants": losing, "reason": reason,
                         "grace_days": ctx.catalog.settings.mover_grace_period.total_seconds() / 86400},
                 notify=True)
    return Review(losing=losing, granted=birthright.grant_missing(s, ctx, person))


def revoke_if_still_disallowed(s: Session, ctx: Ctx, grant_id: int) -> bool:
    """The grace period ended. Returns True when the grant was revoked."""
    grant = s.get(Grant, grant_id)
    if grant is None or grant.status not in REVIEWED:
        return False
    person = s.get(Person, grant.person_id)
    why = not_allowed(s, ctx, grant, directory.facts(s, person), birthright.due_to(s, ctx, person))
    if why is None:
        happened(s, ctx, GrantEvent.POLICY_REVOKE_CANCELLED, subject_type="grant", subject_id=grant.id,
                 person_email=person.email, detail={"entitlement": grant.entitlement,
                                                    "reason": "allowed again by the current policy"})
        return False
    end_grant.revoke(s, ctx, grant_id=grant.id, by=None, reason=f"no longer allowed: {why}",
                     end_reason=EndReason.POLICY)
    return True


def revoke_due_at(s: Session, grant_id: int) -> datetime | None:
    """When the grace period of a grant the move no longer allows ends (None: nothing scheduled)."""
    rows = due.pending(s, LifecycleKind.POLICY_REVOKE, grant_id)
    return rows[0].due_at if rows else None
