"""Who can approve each step of a chain, for a given requester: the rules the router follows.

The requester never approves their own request, so they are taken out of every step. A step
left with fewer people than its quorum gets the catalog's fallback approvers added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from policies.model import ApprovalStepSpec, Entitlement
from policies.settings import Settings


class Directory(Protocol):
    def manager_of(self, email: str) -> str | None: ...

    def members_of(self, group: str) -> list[str]: ...

    def departments_of(self, emails: Iterable[str]) -> list[str]:
        """The departments of those of ``emails`` who are active (``owner_departments`` in conditions)."""


@dataclass(frozen=True)
class ResolvedStep:
    step: ApprovalStepSpec
    approvers: list[str]  # who may decide this step (never the requester)
    used_fallback: bool
    note: str  # why the list looks the way it does, for explanations


def resolve_chain(entitlement: Entitlement, requester: str, directory: Directory,
                  settings: Settings) -> list[ResolvedStep]:
    return [resolve_step(step, requester=requester, owners=entitlement.owners, directory=directory,
                         settings=settings) for step in entitlement.approval_steps]


def resolve_step(step: ApprovalStepSpec, *, requester: str, owners: list[str], directory: Directory,
                 settings: Settings) -> ResolvedStep:
    candidates, why = _candidates(step, requester, owners, directory)
    approvers = _unique(c for c in candidates if c != requester)
    notes = [why] if why else []
    if requester in candidates:
        notes.append(f"{requester} is the requester and cannot approve")
    if len(approvers) >= step.quorum:
        return ResolvedStep(step, approvers, False, "; ".join(notes))
    fallback = _unique([*settings.fallback_people,
                        *(directory.members_of(settings.fallback_group) if settings.fallback_group else [])])
    added = [p for p in fallback if p != requester and p not in approvers]
    notes.append(f"fewer than {step.quorum} approver(s): fallback approvers added" if added
                 else "no approver and no fallback approver available")
    return ResolvedStep(step, approvers + added, bool(added), "; ".join(notes))


def _candidates(step: ApprovalStepSpec, requester: str, owners: list[str],
                directory: Directory) -> tuple[list[str], str]:
    match step.kind:
        case "manager":
            manager = directory.manager_of(requester)
            return ([manager], "") if manager else ([], f"{requester} has no manager in the directory")
        case "manager_of_manager":
            manager = directory.manager_of(requester)
            skip = directory.manager_of(manager) if manager else None
            return ([skip], "") if skip else ([], f"{requester} has no manager's manager in the directory")
        case "owners":
            return list(owners), ""
        case "people":
            return list(step.people), ""
        case "group":
            members = directory.members_of(step.group or "")
            return members, "" if members else f"group {step.group} has no members"
    raise ValueError(f"unknown approval step kind {step.kind!r}")


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
