"""Approval steps → people. The requester is never their own approver; a step that resolves to
nobody (or to too few for its quorum) falls back to the catalog's fallback approvers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.errors import DomainError
from bot.store.models import ApprovalStepApprover, Person


@dataclass(frozen=True)
class ResolvedStep:
    kind: str
    label: str
    quorum: int
    approver_ids: list[int]
    used_fallback: bool


class NoApprovers(DomainError):
    code = "no_approvers"


def assign(s: Session, step, approver_ids: list[int]) -> None:
    """Set who may decide a step: the ordered list on the step and the indexed rows behind it."""
    step.approver_ids = list(approver_ids)
    s.flush()
    s.execute(delete(ApprovalStepApprover).where(ApprovalStepApprover.step_id == step.id))
    s.add_all(ApprovalStepApprover(step_id=step.id, person_id=pid) for pid in approver_ids)
    s.flush()


def resolve_step(s: Session, catalog, entitlement, spec, requester: Person,
                 exclude: set[int] = frozenset()) -> ResolvedStep:
    people = _people_for(s, entitlement, spec, requester)
    ids = _eligible_ids(people, requester, exclude)
    used_fallback = False
    if len(ids) < spec.quorum:
        fallback = fallback_people(s, catalog)
        extra = [i for i in _eligible_ids(fallback, requester, exclude) if i not in ids]
        if extra:
            ids += extra
            used_fallback = True
    if len(ids) < spec.quorum:
        raise NoApprovers(
            f"Nobody can approve step “{_label(spec)}” of {entitlement.ref} for {requester.email} "
            f"(needs {spec.quorum}, found {len(ids)}). Ask IT to fix the catalog's approvers or fallback.")
    return ResolvedStep(kind=spec.kind, label=_label(spec), quorum=spec.quorum, approver_ids=ids,
                        used_fallback=used_fallback)


def _label(spec) -> str:
    if spec.label:
        return spec.label
    return {"manager": "Manager", "manager_of_manager": "Manager's manager", "owners": "App owners",
            "people": "Named approvers", "group": f"Group {spec.group}"}.get(spec.kind, spec.kind)


def _people_for(s: Session, entitlement, spec, requester: Person) -> list[Person]:
    if spec.kind == "manager":
        manager = directory.manager_of(s, requester)
        return [manager] if manager else []
    if spec.kind == "manager_of_manager":
        manager = directory.manager_of(s, requester)
        grand = directory.manager_of(s, manager) if manager else None
        return [grand] if grand else []
    if spec.kind == "owners":
        return _by_emails(s, entitlement.owners)
    if spec.kind == "people":
        return _by_emails(s, spec.people)
    if spec.kind == "group":
        return directory.members_of_group(s, spec.group)
    raise DomainError(f"unknown approval step kind {spec.kind!r}")


def fallback_people(s: Session, catalog) -> list[Person]:
    """The catalog's fallback approvers: the named people, then the fallback group's members."""
    settings = catalog.settings
    people = _by_emails(s, settings.fallback_people)
    if settings.fallback_group:
        people += directory.members_of_group(s, settings.fallback_group)
    return people


def _by_emails(s: Session, emails) -> list[Person]:
    found = (directory.by_email(s, e) for e in emails)
    return [p for p in found if p is not None]


def _eligible_ids(people: list[Person], requester: Person, exclude: set[int]) -> list[int]:
    ids: list[int] = []
    for person in people:
        if person.id == requester.id or person.id in exclude or not person.is_active:
            continue
        if person.id not in ids:
            ids.append(person.id)
    return ids
