"""Orphan accounts as review items: memberships at a target that reconcile found and no grant explains.

Only findings of a known person become items (an account of nobody in the directory has no holder to
review, no manager to ask: reconcile's digest leaves those to IT). A finding is reviewed once: an
item that was kept or revoked is not asked again; if the account comes back after its removal,
reconcile opens a new finding.

* **Keep** adopts the account into the ledger as a permanent grant (``granted_by`` "review:EMAIL",
  active from the decision, nothing sent to the target): from then on it is access like any other,
  explained at the next reconcile, reviewed by later campaigns, revoked through the ordinary path.
* **Revoke** queues a removal at the target through the provisioning runner, as reconcile's
  ``revoke_orphans`` does (retries, IT alert on failure); the item keeps the action's id, so the
  report shows when the target confirmed it.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, GrantStatus
from bot.ledger import queue
from bot.store.models import Grant, OrphanFinding, Person, ReviewItem
from bot.ledger.context import Ctx

KIND = "orphan"
PREFIX = "orphan_finding:"
HOW = "orphan"  # granted_how of an orphan item: nobody granted it through accessbot


def ref_of(finding_id: int) -> str:
    return f"{PREFIX}{finding_id}"


def finding_of(s: Session, item: ReviewItem) -> OrphanFinding | None:
    if not (item.subject_ref or "").startswith(PREFIX):
        return None
    return s.get(OrphanFinding, int(item.subject_ref[len(PREFIX):]))


def candidates(s: Session) -> list[tuple[OrphanFinding, object]]:
    """Open findings of known people not yet reviewed, each with a grant-like row for the scope check."""
    findings = list(s.scalars(select(OrphanFinding).where(OrphanFinding.fixed_at.is_(None),
                                                          OrphanFinding.person_id.is_not(None))
                              .order_by(OrphanFinding.person_id, OrphanFinding.id)))
    if not findings:
        return []  # the usual case: no scan of every campaign's items
    reviewed = set(s.scalars(select(ReviewItem.subject_ref).where(
        ReviewItem.kind == KIND, ReviewItem.subject_ref.in_([ref_of(f.id) for f in findings]),
        ReviewItem.status.in_(("pending", "kept", "revoked")))))
    out = []
    for finding in findings:
        if ref_of(finding.id) in reviewed:
            continue
        out.append((finding, SimpleNamespace(
            id=None, person_id=finding.person_id, entitlement=finding.entitlement or finding.target,
            connector=finding.system, granted_by="", since=finding.first_seen_at, permanent=True)))
    return out


def still_there(s: Session, item: ReviewItem) -> bool:
    """False when reconcile no longer sees the account (removed meanwhile): the item closes itself."""
    finding = finding_of(s, item)
    return finding is not None and finding.fixed_at is None


def keep(s: Session, ctx: Ctx, item: ReviewItem, *, by: Person | None, now: datetime) -> Grant:
    """Adopt the account as a permanent grant: the ledger now explains it, as reviewed."""
    finding = finding_of(s, item)
    who = by.email if by else "deadline"
    grant = Grant(person_id=item.holder_id, entitlement=item.entitlement, connector=item.connector,
                  target=finding.target if finding else item.entitlement, status=GrantStatus.ACTIVE,
                  starts_at=now, activated_at=now, granted_by=f"review:{who}"[:200], created_at=now)
    s.add(grant)
    s.flush()
    item.grant_id = grant.id
    return grant


def revoke(s: Session, ctx: Ctx, item: ReviewItem, *, reason: str) -> str:
    """Queue the removal at the target; the provisioning action's id."""
    finding = finding_of(s, item)
    row = queue.enqueue(s, ctx, grant=None, action=ActionKind.REVOKE, person_id=item.holder_id,
                        connector=item.connector, target=finding.target if finding else "",
                        entitlement=item.entitlement, note=f"access review item #{item.id}: {reason}"[:1000])
    item.action_id = row.id
    return row.id
