"""Frozen snapshots of a request for the card renderer (renderers never see a Session or ORM object)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.domain.enums import LIVE_GRANT_STATUSES, GrantStatus, RequestStatus, StepStatus
from bot.ledger import bundle_round
from bot.oncall import auto_approval as on_call
from bot.store.models import AccessRequest, ApprovalStep, Decision, Grant, Person
from policies.schema import RISKS


@dataclass(frozen=True)
class PersonInfo:
    id: int
    name: str
    email: str
    slack_user_id: str | None
    title: str = ""
    department: str = ""

    @classmethod
    def of(cls, person: Person) -> PersonInfo:
        return cls(person.id, person.name or person.email, person.email, person.slack_user_id, person.title or "",
                   person.department or "")


@dataclass(frozen=True)
class Vote:
    person: PersonInfo
    verdict: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class StepInfo:
    position: int
    label: str
    quorum: int
    status: str
    approvers: tuple[PersonInfo, ...]
    channel: str | None
    votes: tuple[Vote, ...]

    @property
    def approvals(self) -> int:
        return sum(1 for v in self.votes if v.verdict == "approve")

    def may_vote(self, person_id: int | None) -> bool:
        return (self.status == StepStatus.ACTIVE and any(p.id == person_id for p in self.approvers)
                and not any(v.person.id == person_id for v in self.votes))


@dataclass(frozen=True)
class HeldGrant:
    entitlement: str
    label: str
    status: str
    ends_at: datetime | None


@dataclass(frozen=True)
class GrantInfo:
    id: int
    status: str
    starts_at: datetime
    ends_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class EntitlementInfo:
    ref: str
    label: str
    resource_id: str
    risk: str
    description: str = ""


@dataclass(frozen=True)
class BundleMember:
    request_id: int
    entitlement: EntitlementInfo
    status: str
    grant: GrantInfo | None


@dataclass(frozen=True)
class BundleInfo:
    name: str
    members: tuple[BundleMember, ...]  # every entitlement of the bundle request, the lead's first


@dataclass(frozen=True)
class RequestCard:
    id: int
    status: str
    entitlement: EntitlementInfo
    duration: timedelta | None
    starts_at: datetime | None
    justification: str
    ticket: str
    created_at: datetime
    expires_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    auto_approved: bool
    extends_grant_id: int | None
    requester: PersonInfo
    decided_by: PersonInfo | None
    steps: tuple[StepInfo, ...]
    held: tuple[HeldGrant, ...]
    grant: GrantInfo | None
    bundle: BundleInfo | None = None  # a bundle request: ``entitlement`` then names the bundle
    on_call_fallback: str = ""  # why on-call auto-approval did not apply (a provider could not be asked)

    @property
    def pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def current_step(self) -> StepInfo | None:
        return next((st for st in self.steps if st.status == StepStatus.ACTIVE), None)


def entitlement_info(catalog, ref: str) -> EntitlementInfo:
    try:
        ent = catalog.entitlement(ref)
    except KeyError:  # removed from the catalog since: still show what the ledger says
        return EntitlementInfo(ref, ref, ref.partition(":")[0], "unknown")
    return EntitlementInfo(ent.ref, ent.label, ent.resource_id, ent.risk, ent.description or "")


def request_info(catalog, request: AccessRequest) -> EntitlementInfo:
    """What a request asks for: its entitlement, or for a bundle's lead the bundle as a whole."""
    members = (request.extra or {}).get("bundle_members")
    if not members or bundle_round.is_follower(request):
        return entitlement_info(catalog, request.entitlement)
    bundle = catalog.bundles.get(request.bundle or "")
    refs = bundle.entitlements if bundle is not None else [request.entitlement]
    infos = [entitlement_info(catalog, ref) for ref in refs]
    label = bundle.label if bundle is not None else f"📦 {request.bundle} (bundle: {len(members)} entitlements)"
    risk = max((i.risk for i in infos), key=lambda r: RISKS.index(r) if r in RISKS else -1)
    return EntitlementInfo(f"bundle {request.bundle}", label, ", ".join(dict.fromkeys(i.resource_id for i in infos)),
                           risk, bundle.description if bundle is not None else "")


def _bundle(s: Session, catalog, request: AccessRequest) -> BundleInfo | None:
    ids = (request.extra or {}).get("bundle_members")
    if not ids:
        return None
    rows = s.scalars(select(AccessRequest).where(AccessRequest.id.in_(ids)).order_by(AccessRequest.id))
    members = []
    for member in rows:
        grant = s.get(Grant, member.grant_id) if member.grant_id else None
        members.append(BundleMember(member.id, entitlement_info(catalog, member.entitlement), member.status,
                                    _grant_info(grant)))
    return BundleInfo(request.bundle or "", tuple(members))


def _grant_info(grant: Grant | None) -> GrantInfo | None:
    return GrantInfo(grant.id, grant.status, grant.starts_at, grant.ends_at, grant.last_error) if grant else None


def load_request_card(s: Session, catalog, request_id: int) -> RequestCard | None:
    """The card of the request; for an entitlement of a bundle request, the bundle's one card."""
    request = s.get(AccessRequest, request_id)
    if request is None:
        return None
    if bundle_round.is_follower(request):
        request = s.get(AccessRequest, bundle_round.lead_id(request))
    people = _people(s, request)
    steps = tuple(_step(st, people, _votes(s, request.id, st.id, people))
                  for st in s.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request.id)
                                      .order_by(ApprovalStep.position)))
    ent = request_info(catalog, request)
    grant = s.get(Grant, request.grant_id) if request.grant_id else None
    return RequestCard(
        id=request.id, status=request.status, entitlement=ent,
        duration=timedelta(seconds=request.duration_seconds) if request.duration_seconds is not None else None,
        starts_at=request.starts_at, justification=request.justification or "", ticket=request.ticket or "",
        created_at=request.created_at, expires_at=request.expires_at, decided_at=request.decided_at,
        decision_reason=request.decision_reason or "", auto_approved=request.auto_approved,
        extends_grant_id=request.extends_grant_id, requester=people[request.requester_id],
        decided_by=people.get(request.decided_by_id) if request.decided_by_id else None, steps=steps,
        held=_held(s, catalog, request, ent), grant=_grant_info(grant), bundle=_bundle(s, catalog, request),
        on_call_fallback=on_call.fallback_of(request) or "")


def _people(s: Session, request: AccessRequest) -> dict[int, PersonInfo]:
    ids = {request.requester_id, request.decided_by_id}
    for step in s.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request.id)):
        ids.update(step.approver_ids or [])
    ids.update(s.scalars(select(Decision.approver_id).where(Decision.request_id == request.id)))
    ids.discard(None)
    return {p.id: PersonInfo.of(p) for p in s.scalars(select(Person).where(Person.id.in_(ids)))}


def _votes(s: Session, request_id: int, step_id: int, people: dict[int, PersonInfo]) -> tuple[Vote, ...]:
    rows = s.scalars(select(Decision).where(Decision.request_id == request_id, Decision.step_id == step_id)
                     .order_by(Decision.id))
    return tuple(Vote(people[d.approver_id], d.verdict, d.reason or "", d.decided_at) for d in rows)


def _step(step: ApprovalStep, people: dict[int, PersonInfo], votes: tuple[Vote, ...]) -> StepInfo:
    approvers = tuple(people[i] for i in step.approver_ids or [] if i in people)
    return StepInfo(step.position, step.label, step.quorum, step.status, approvers, step.channel, votes)


def _held(s: Session, catalog, request: AccessRequest, ent: EntitlementInfo) -> tuple[HeldGrant, ...]:
    """What the requester holds on the same resource right now (context for the approver)."""
    resources = ent.resource_id.split(", ")  # a bundle spans several
    rows = s.scalars(select(Grant).where(Grant.person_id == request.requester_id,
                                         Grant.status.in_((*LIVE_GRANT_STATUSES, GrantStatus.SCHEDULED)),
                                         or_(*(Grant.entitlement.startswith(f"{r}:") for r in resources)))
                     .order_by(Grant.id))
    own = {request.grant_id}
    if (request.extra or {}).get("bundle_members"):
        own |= set(s.scalars(select(AccessRequest.grant_id).where(
            AccessRequest.id.in_(request.extra["bundle_members"]))))
    return tuple(HeldGrant(g.entitlement, entitlement_info(catalog, g.entitlement).label, g.status, g.ends_at)
                 for g in rows if g.id not in own)
