"""The "why" of a policy decision for one person and one entitlement, as data and as text.

Answers what a requester, an approver or IT asks: may this person ask, for how long, who will
be asked to approve, would it be approved automatically, and does it clash with what they hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from policies.approvers import Directory, ResolvedStep, resolve_chain
from policies.catalog import Catalog, SodConflict
from policies.context import PersonFacts, RequestFacts
from policies.durations import humanize, short
from policies.model import Eligibility, Entitlement, Rule


@dataclass(frozen=True)
class Explanation:
    person: PersonFacts
    entitlement: Entitlement
    request: RequestFacts
    eligibility: Eligibility
    request_problems: list[str]
    steps: list[ResolvedStep]
    auto_approve: str | None
    auto_approve_trace: list[tuple[Rule, bool, str | None]]
    holding: list[str]
    sod_conflicts: list[SodConflict] = field(default_factory=list)


def explain(catalog: Catalog, ref: str, person: PersonFacts, directory: Directory, *,
            holding: Iterable[str] = (), request: RequestFacts | None = None) -> Explanation:
    """Raises KeyError (with close matches) for an unknown ``ref``."""
    entitlement = catalog.entitlement(ref)
    request = request or RequestFacts(entitlement.durations.default)
    held = list(holding)
    owner_departments = directory.departments_of(entitlement.owners)
    return Explanation(
        person=person, entitlement=entitlement, request=request,
        eligibility=entitlement.is_eligible(person, owner_departments),
        request_problems=entitlement.check_request(request),
        steps=resolve_chain(entitlement, person.email, directory, catalog.settings),
        auto_approve=entitlement.auto_approve_rule(person, request, owner_departments),
        auto_approve_trace=entitlement.auto_approve_trace(person, request, owner_departments),
        holding=held, sod_conflicts=catalog.sod_conflicts(held, ref),
    )


def render(explanation: Explanation, name_of: Callable[[str], str] = lambda email: email) -> str:
    """Plain text for a terminal or a Slack code block."""
    e, x = explanation.entitlement, explanation
    lines = [
        f"{name_of(x.person.email)} -> {e.ref} ({e.label}: {e.title})",
        f"  defined at {e.source}; risk {e.risk}; connector {e.connector} -> {e.target}",
        "",
        f"Eligible: {'yes' if x.eligibility.allowed else 'NO'}",
        f"  {x.eligibility.reason}",
        "",
        *_duration_lines(x),
        "",
        *_chain_lines(x, name_of),
        "",
        *_auto_approve_lines(x),
        "",
        *_sod_lines(x),
        "",
        f"Reminders: after {humanize(e.reminder_after)} of business time, escalation after "
        f"{e.escalate_after_reminders} reminder(s); an undecided request times out after "
        f"{humanize(e.request_timeout)}.",
    ]
    return "\n".join(lines)


def _duration_lines(x: Explanation) -> list[str]:
    e = x.entitlement
    permanent = "permanent allowed" if e.durations.permanent_allowed else "permanent not allowed"
    needs = [w for w, on in (("a justification", e.require_justification), ("a ticket", e.require_ticket)) if on]
    if e.ticket_pattern:
        needs.append(f"ticket format {e.ticket_pattern}")
    warnings = ", ".join(short(w) for w in e.warnings_for(x.request.duration)) or "none"
    lines = [
        f"Durations: {e.durations.describe()}; {permanent}",
        f"  this request: {humanize(x.request.duration)} - "
        + ("; ".join(x.request_problems) if x.request_problems else "fits the policy"),
        f"  expiry warnings for it: {warnings} before the end",
    ]
    if e.extend_auto_approve_limit:
        lines.append(f"  extensions: up to {humanize(e.extend_auto_approve_limit)} more without a new approval")
    if needs:
        lines.append(f"Requires: {', '.join(needs)}")
    return lines


def _chain_lines(x: Explanation, name_of: Callable[[str], str]) -> list[str]:
    if not x.steps:
        return ["Approval: none needed (no approval steps)"]
    lines = ["Approval chain (the requester never approves their own request):"]
    for number, resolved in enumerate(x.steps, 1):
        step = resolved.step
        what = f"group {step.group}" if step.kind == "group" else step.kind.replace("_", " ")
        who = ", ".join(name_of(p) for p in resolved.approvers) or "nobody"
        lines.append(f"  {number}. {step.label} ({what}), {step.quorum} of: {who}")
        if resolved.note:
            lines.append(f"     note: {resolved.note}")
    return lines


def _auto_approve_lines(x: Explanation) -> list[str]:
    if x.auto_approve:
        return [f"Auto-approve: yes, {x.auto_approve}"]
    lines = ["Auto-approve: no" + ("" if x.auto_approve_trace else " (no auto-approve rule)")]
    for rule, value, error in x.auto_approve_trace:
        outcome = f"could not be evaluated: {error}" if error else ("true" if value else "false")
        if rule.condition.schedules and not value:
            # The explanation asks no provider: who is on call is known only when the request is made.
            outcome += f" here (it asks who is on call for {', '.join(sorted(rule.condition.schedules))})"
        lines.append(f"  rule '{rule.name}' {rule.text}: {outcome}")
    if not x.person.is_active:
        lines.append(f"  {x.person.email} is not active")
    return lines


def _sod_lines(x: Explanation) -> list[str]:
    held = ", ".join(x.holding) if x.holding else "nothing given"
    if not x.sod_conflicts:
        return [f"Separation of duties: no conflict (holding: {held})"]
    lines = [f"Separation of duties: CONFLICT (holding: {held})"]
    for conflict in x.sod_conflicts:
        lines.append(f"  {conflict.name}: {' + '.join(conflict.entitlements)}. {conflict.reason}")
    return lines
