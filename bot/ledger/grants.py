"""The grant ledger's transitions. A grant is one period of access; effective access to a target
is the union of live grants, so a revocation only reaches the connector when no other live grant
still covers the same person, connector and target."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, ActionStatus, EndReason, GrantStatus, LIVE_GRANT_STATUSES
from bot.domain.errors import InvalidState
from bot.ledger import due, queue
from bot.ledger.context import Ctx
from bot.ledger.event_names import GrantEvent
from bot.ledger.events import happened
from bot.store.models import AccessRequest, Grant, Person, ProvisioningAction
from policies.catalog import Catalog, UnknownEntitlement

ENDED_STATUS = {EndReason.EXPIRED: GrantStatus.EXPIRED}


def live_grants(s: Session, person_id: int, entitlement: str | None = None) -> list[Grant]:
    query = select(Grant).where(Grant.person_id == person_id, Grant.status.in_(LIVE_GRANT_STATUSES))
    if entitlement:
        query = query.where(Grant.entitlement == entitlement)
    return list(s.scalars(query.order_by(Grant.id)))


def active_grant(s: Session, person_id: int, entitlement: str) -> Grant | None:
    return s.scalar(select(Grant).where(Grant.person_id == person_id, Grant.entitlement == entitlement,
                                        Grant.status == GrantStatus.ACTIVE).order_by(Grant.id).limit(1))


def held_entitlements(s: Session, person_id: int) -> set[str]:
    statuses = (*LIVE_GRANT_STATUSES, GrantStatus.SCHEDULED)
    return set(s.scalars(select(Grant.entitlement).where(Grant.person_id == person_id,
                                                         Grant.status.in_(statuses))))


def create(s: Session, ctx: Ctx, *, person: Person, entitlement, duration: timedelta | None,
           starts_at: datetime | None, request: AccessRequest | None, granted_by: str) -> Grant:
    start = starts_at if starts_at and starts_at > ctx.now else ctx.now
    grant = Grant(person_id=person.id, entitlement=entitlement.ref, connector=entitlement.connector,
                  target=entitlement.target, request_id=request.id if request else None,
                  status=GrantStatus.SCHEDULED if start > ctx.now else GrantStatus.PROVISIONING,
                  starts_at=start, duration_seconds=int(duration.total_seconds()) if duration else None,
                  granted_by=granted_by, created_at=ctx.now)
    s.add(grant)
    s.flush()
    if grant.status == GrantStatus.SCHEDULED:
        due.schedule(s, due.LedgerKind.GRANT_START, grant.id, start, now=ctx.now)
    else:
        queue.enqueue_for_grant(s, ctx, grant, ActionKind.GRANT)
    happened(s, ctx, GrantEvent.CREATED, subject_type="grant", subject_id=grant.id, person_email=person.email,
             detail={"entitlement": grant.entitlement, "starts_at": start, "duration_seconds": grant.duration_seconds,
                     "request_id": grant.request_id, "granted_by": granted_by, "status": grant.status})
    return grant


def start(s: Session, ctx: Ctx, grant: Grant) -> None:
    """A scheduled grant's start time came: hand it to provisioning."""
    if grant.status != GrantStatus.SCHEDULED:
        return
    grant.status = GrantStatus.PROVISIONING
    queue.enqueue_for_grant(s, ctx, grant, ActionKind.GRANT)


def activate(s: Session, ctx: Ctx, grant: Grant, entitlement, person_email: str, *,
             access_from: datetime | None = None) -> bool:
    """The target confirmed the access, which may have existed since ``access_from`` (the grant
    call's first attempt; default now). Returns False when the grant moved on meanwhile."""
    if grant.status != GrantStatus.PROVISIONING:
        return False
    grant.status = GrantStatus.ACTIVE
    grant.activated_at = ctx.now
    if grant.duration_seconds is not None and grant.ends_at is None:
        grant.ends_at = window_start(grant, access_from or ctx.now) + timedelta(seconds=grant.duration_seconds)
    schedule_end(s, ctx, grant, entitlement)
    happened(s, ctx, GrantEvent.ACTIVATED, subject_type="grant", subject_id=grant.id, person_email=person_email,
             detail={"entitlement": grant.entitlement, "ends_at": grant.ends_at}, notify=True)
    return True


def window_start(grant: Grant, access_from: datetime) -> datetime:
    """Where the approved duration starts counting (docs/timers.md, "The approved window"): a
    scheduled grant's window is fixed by its start, so a late provisioning eats into it; any other
    grant's starts when the access could first exist, never when the outcome happened to be
    recorded (a crash or a slow target between the call and its record must not lengthen it)."""
    scheduled = grant.starts_at is not None and grant.created_at is not None and grant.starts_at > grant.created_at
    return grant.starts_at if scheduled else access_from


def schedule_end(s: Session, ctx: Ctx, grant: Grant, entitlement) -> None:
    due.cancel(s, due.LedgerKind.GRANT_WARN, grant.id)
    if grant.ends_at is None:
        due.cancel(s, due.LedgerKind.GRANT_EXPIRE, grant.id)
        return
    due.schedule(s, due.LedgerKind.GRANT_EXPIRE, grant.id, grant.ends_at, now=ctx.now)
    # The rule `policy explain` shows: configured warnings that fit, built-in ones only in the second
    # half, and a 10-minute warning for grants too short for any.
    warnings = entitlement.warnings_for(grant.ends_at - ctx.now) if entitlement is not None else []
    for before in warnings:
        at = grant.ends_at - before
        if at > ctx.now:
            due.schedule(s, due.LedgerKind.GRANT_WARN, grant.id, at, now=ctx.now, suffix=str(int(before.total_seconds())),
                         payload={"before_seconds": int(before.total_seconds())})


def extend_to(s: Session, ctx: Ctx, grant: Grant, new_end: datetime | None, entitlement, *,
              person_email: str, request_id: int | None = None, reason: str = "") -> None:
    if grant.status != GrantStatus.ACTIVE:
        raise InvalidState(f"Grant #{grant.id} is {grant.status}, so it cannot be extended.")
    old_end = grant.ends_at
    if old_end is not None and new_end is not None and new_end <= old_end:
        return
    grant.ends_at = new_end
    grant.version += 1
    grant.warnings_sent = 0
    schedule_end(s, ctx, grant, entitlement)
    happened(s, ctx, GrantEvent.EXTENDED, subject_type="grant", subject_id=grant.id, person_email=person_email,
             detail={"entitlement": grant.entitlement, "from": old_end, "to": new_end, "request_id": request_id,
                     "reason": reason}, notify=True)


def begin_end(s: Session, ctx: Ctx, grant: Grant, reason: EndReason, *, person_email: str,
              ended_by_id: int | None = None, offboarding_id: int | None = None, note: str = "") -> bool:
    """Start ending a grant. Returns False if it was not live (already ending or ended)."""
    if grant.status == GrantStatus.SCHEDULED:
        _close(s, ctx, grant, reason, ended_by_id, GrantStatus.REVOKED)
        due.cancel(s, due.LedgerKind.GRANT_START, grant.id)
        happened(s, ctx, GrantEvent.CANCELLED, subject_type="grant", subject_id=grant.id, person_email=person_email,
                 detail={"entitlement": grant.entitlement, "reason": reason, "note": note}, notify=True)
        return True
    if grant.status not in _ENDABLE:
        return False
    _mark_ending(grant, reason, ended_by_id)
    due.cancel_kinds(s, _END_KINDS, grant.id)
    _drop_unsent_grant_actions(s, [grant.id])
    _ending(s, ctx, grant, person_email, note)
    _queue_revoke(s, ctx, grant, covering_grant(s, grant, ctx.catalog), person_email, offboarding_id)
    s.flush()
    return True


_ENDABLE = (GrantStatus.ACTIVE, GrantStatus.PROVISIONING, GrantStatus.REVOKE_FAILED)
_END_KINDS = (due.LedgerKind.GRANT_EXPIRE, due.LedgerKind.GRANT_WARN)


def begin_end_all(s: Session, ctx: Ctx, ending: list[tuple[Grant, str]], reason: EndReason, *,
                  offboarding_id: int | None = None, note: str = "") -> list[bool]:
    """`begin_end` (by the system) for a group of live grants, each with its holder's email, with each
    statement once for the whole group instead of once per grant: the outcome, the audit events and
    the revokes are those of calling `begin_end` on each in turn (a grant ended earlier in the group
    no longer covers a later one), in the caller's transaction. A scheduled grant in the group is
    cancelled by `begin_end` itself (it has no revoke)."""
    live = [grant for grant, _ in ending if grant.status in _ENDABLE]
    others = other_live_grants_of(s, live)  # its autoflush writes what the transaction did before
    with s.no_autoflush:  # from here on only these grants change, and the new rows are flushed at the end
        due.cancel_kinds_of(s, _END_KINDS, [grant.id for grant in live])
        _drop_unsent_grant_actions(s, [grant.id for grant in live])
        started = []
        for grant, person_email in ending:
            if grant.status == GrantStatus.SCHEDULED:
                started.append(begin_end(s, ctx, grant, reason, person_email=person_email,
                                         offboarding_id=offboarding_id, note=note))
                continue
            if grant.status not in _ENDABLE:  # not live, or twice in the group
                started.append(False)
                continue
            _mark_ending(grant, reason, None)
            _ending(s, ctx, grant, person_email, note)
            cover = _first_cover(ctx.catalog, grant, [o for o in others[grant.id] if o.status in _COVERING])
            _queue_revoke(s, ctx, grant, cover, person_email, offboarding_id)
            started.append(True)
    s.flush()
    return started


def _mark_ending(grant: Grant, reason: EndReason, ended_by_id: int | None) -> None:
    grant.status = GrantStatus.REVOKING
    grant.end_reason = reason
    grant.ended_by_id = ended_by_id
    grant.version += 1


def _ending(s: Session, ctx: Ctx, grant: Grant, person_email: str, note: str) -> None:
    happened(s, ctx, GrantEvent.ENDING, subject_type="grant", subject_id=grant.id, person_email=person_email,
             detail={"entitlement": grant.entitlement, "reason": grant.end_reason, "note": note,
                     "ends_at": grant.ends_at})


def _queue_revoke(s: Session, ctx: Ctx, grant: Grant, cover: Grant | None, person_email: str,
                  offboarding_id: int | None) -> None:
    """Queue the revoke (unflushed), or settle it as skipped while ``cover`` still gives the access."""
    if cover is not None:
        queue.enqueue_for_grant(s, ctx, grant, ActionKind.REVOKE, offboarding_id=offboarding_id,
                                status=ActionStatus.SKIPPED, note=f"still covered by grant #{cover.id}", flush=False)
        finish_end(s, ctx, grant, person_email=person_email, note=f"access kept: grant #{cover.id} still covers it")
    else:
        queue.enqueue_for_grant(s, ctx, grant, ActionKind.REVOKE, offboarding_id=offboarding_id, flush=False)


def _drop_unsent_grant_actions(s: Session, grant_ids: list[int]) -> None:
    # A grant call not yet sent (or waiting to be retried) is pointless once the grant is ending;
    # one already in flight is left to finish, and the revoke queued after it runs next.
    if not grant_ids:
        return
    s.execute(update(ProvisioningAction)
              .where(ProvisioningAction.grant_id.in_(grant_ids), ProvisioningAction.action == ActionKind.GRANT,
                     ProvisioningAction.status.in_((ActionStatus.QUEUED, ActionStatus.FAILED_RETRYABLE)))
              .values(status=ActionStatus.SKIPPED, summary="not needed: the grant ended first")
              .execution_options(synchronize_session=False))


_COVERING = (GrantStatus.ACTIVE, GrantStatus.PROVISIONING)  # the statuses of a grant that still gives access


def other_live_grants(s: Session, grant: Grant) -> list[Grant]:
    """The person's other live grants on the same connector and target ref."""
    return list(s.scalars(select(Grant).where(
        Grant.person_id == grant.person_id, Grant.connector == grant.connector, Grant.target == grant.target,
        Grant.id != grant.id, Grant.status.in_(_COVERING),
    ).order_by(Grant.id)))


def other_live_grants_of(s: Session, of: list[Grant]) -> dict[int, list[Grant]]:
    """`other_live_grants` for many grants in one query (by grant id), for a batch of revocations."""
    if not of:
        return {}
    refs = {(g.person_id, g.connector, g.target) for g in of}
    live: dict[tuple, list[Grant]] = {ref: [] for ref in refs}
    for other in s.scalars(select(Grant).where(tuple_(Grant.person_id, Grant.connector, Grant.target).in_(refs),
                                               Grant.status.in_(_COVERING)).order_by(Grant.id)):
        live[(other.person_id, other.connector, other.target)].append(other)
    return {g.id: [o for o in live[(g.person_id, g.connector, g.target)] if o.id != g.id] for g in of}


def target_options(catalog: Catalog, entitlement: str) -> dict:
    """The catalog's target options of an entitlement ({} once it has left the catalog)."""
    try:
        return dict(catalog.entitlement(entitlement).target_options)
    except UnknownEntitlement:
        return {}


def covering_grant(s: Session, grant: Grant, catalog: Catalog) -> Grant | None:
    """Another grant that still gives the same access: same target ref and same target options.

    One ref with other options (a MANAGER role beside a MEMBER one in a Google group, another
    permission set in the same AWS account) is other access: the revoke goes ahead and is told what
    to keep (connectors.base.Target.retained).
    """
    return _first_cover(catalog, grant, other_live_grants(s, grant))


def _first_cover(catalog: Catalog, grant: Grant, others: list[Grant]) -> Grant | None:
    options = target_options(catalog, grant.entitlement)
    return next((other for other in others if target_options(catalog, other.entitlement) == options), None)


def finish_end(s: Session, ctx: Ctx, grant: Grant, *, person_email: str, note: str = "") -> None:
    """The target confirmed the removal (or nothing had to be removed)."""
    if grant.status not in (GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED):
        return
    final = GrantStatus.EXPIRED if grant.end_reason == EndReason.EXPIRED else GrantStatus.REVOKED
    _close(s, ctx, grant, EndReason(grant.end_reason), grant.ended_by_id, final)
    happened(s, ctx, GrantEvent(f"grant.{final}"), subject_type="grant", subject_id=grant.id, person_email=person_email,
             detail={"entitlement": grant.entitlement, "reason": grant.end_reason, "note": note}, notify=True)


def _close(s: Session, ctx: Ctx, grant: Grant, reason: EndReason, ended_by_id: int | None,
           status: GrantStatus) -> None:
    grant.status = status
    grant.end_reason = reason
    grant.ended_by_id = ended_by_id
    grant.ended_at = ctx.now
    grant.last_error = None
    grant.version += 1
