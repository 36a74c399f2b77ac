"""The catalog as the bot uses it: resolved entitlements with their compiled conditions.

Every value here is final: inheritance from resource and catalog defaults has been applied,
references checked and CEL compiled. Nothing in this module reads files.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from policies import durations
from policies.break_glass import BreakGlassPolicy
from policies.cel import Condition
from policies.on_call import OnCallAnswers
from policies.context import (
    OWNER_DEPARTMENTS,
    MissingFacts,
    PersonFacts,
    RequestFacts,
    departments_value,
    entitlement_value,
    person_value,
    request_value,
)
from policies.usage import InactivityPolicy, LicenseCost

SHORT_GRANT_WARNING = timedelta(minutes=10)


@dataclass(frozen=True)
class SourceRef:
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Durations:
    choices: list[timedelta]  # the menu, shortest first; "permanent" is permanent_allowed
    default: timedelta | None  # None: permanent
    maximum: timedelta | None  # None: no upper bound (only when permanent is allowed)
    permanent_allowed: bool
    subject: str = "this entitlement"  # names the entitlement in messages

    def validate(self, duration: timedelta | None) -> str | None:
        """None when ``duration`` may be granted, else a message for the requester."""
        if duration is None:
            if self.permanent_allowed:
                return None
            limit = f"; the maximum is {durations.humanize(self.maximum)}" if self.maximum else ""
            return f"{self.subject} cannot be granted permanently{limit}"
        if duration <= timedelta():
            return "the duration must be positive"
        if self.maximum is not None and duration > self.maximum:
            return (f"{durations.humanize(duration)} is above the {durations.adjective(self.maximum)} "
                    f"maximum for {self.subject}")
        return None

    def clamp_extension(self, current_total: timedelta, extra: timedelta) -> timedelta:
        """How much of ``extra`` fits under the maximum on top of ``current_total`` (zero if none)."""
        if self.maximum is None:
            return extra
        return max(timedelta(), min(extra, self.maximum - current_total))

    def describe(self) -> str:
        menu = [durations.short(c) for c in self.choices] + (["permanent"] if self.permanent_allowed else [])
        limit = f", maximum {durations.short(self.maximum)}" if self.maximum else ""
        return f"{', '.join(menu)} (default {durations.short(self.default)}{limit})"


_STEP_LABELS = {
    "manager": "Manager",
    "manager_of_manager": "Manager's manager",
    "owners": "Owners",
    "people": "Named approvers",
    "group": "Group",
}


@dataclass(frozen=True)
class ApprovalStepSpec:
    kind: str  # manager | manager_of_manager | owners | people | group
    quorum: int = 1
    people: list[str] = field(default_factory=list)
    group: str | None = None
    label: str = ""

    @staticmethod
    def default_label(kind: str, group: str | None) -> str:
        return f"{_STEP_LABELS[kind]} {group}" if kind == "group" and group else _STEP_LABELS[kind]


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class AutoApproval:
    """Why a request needs no human approval; ``ends_by``: the end of the shift it must not outlast."""

    reason: str
    rule: Rule | None = None
    ends_by: datetime | None = None


@dataclass(frozen=True)
class Rule:
    """A compiled condition plus what people see: its name, a sentence, and where it was written."""

    name: str
    condition: Condition
    description: str | None
    origin: str  # e.g. "resource github (catalog/engineering.yaml:12)"
    ends_with_shift: bool = False  # auto-approve only: the grant ends with the on-call shift it relied on

    @property
    def text(self) -> str:
        return f'"{self.description}"' if self.description else f"`{self.condition.source.strip()}`"


@dataclass(frozen=True, eq=False, repr=False)
class Entitlement:
    ref: str
    resource_id: str
    role: str
    title: str
    description: str
    resource_name: str
    connector: str
    target: str
    target_options: dict[str, Any]
    risk: str
    requestable: bool
    owners: list[str]
    approvals_channel: str | None
    durations: Durations
    require_justification: bool
    require_ticket: bool
    ticket_pattern: str | None
    approval_steps: list[ApprovalStepSpec]
    expiry_warnings: list[timedelta]  # longest first
    extend_auto_approve_limit: timedelta | None
    reminder_after: timedelta  # business time
    escalate_after_reminders: int
    request_timeout: timedelta  # calendar time
    eligibility: Rule | None
    auto_approve: list[Rule]
    source: SourceRef
    origins: dict[str, str] = field(default_factory=dict)  # key -> where its value was written
    expiry_warnings_configured: bool = False
    break_glass: BreakGlassPolicy | None = None  # None: no emergency path
    license: LicenseCost | None = None  # what a seat costs (bot.usage reports)
    inactivity: InactivityPolicy | None = None  # "use it or lose it" (bot.usage)

    def __repr__(self) -> str:
        return f"<Entitlement {self.ref}>"

    @property
    def label(self) -> str:
        """ "GitHub admin": how messages name the entitlement."""
        return f"{self.resource_name} {self.role}"

    @cached_property
    def _cel_entitlement(self) -> Any:
        return entitlement_value({
            "ref": self.ref, "resource": self.resource_id, "role": self.role, "risk": self.risk,
            "connector": self.connector, "target": self.target, "owners": list(self.owners),
        })

    @cached_property
    def reads_owner_departments(self) -> bool:
        """Whether a rule reads ``owner_departments``: callers must then pass the owners' departments."""
        rules = [self.eligibility, *self.auto_approve, self.break_glass.who if self.break_glass else None]
        return any(rule is not None and OWNER_DEPARTMENTS in rule.condition.names for rule in rules)

    def _activation(self, person: PersonFacts, owner_departments: Collection[str] | None,
                    request: RequestFacts | None = None) -> dict[str, Any]:
        if owner_departments is None and self.reads_owner_departments:
            raise MissingFacts(f"a rule of {self.ref} reads owner_departments: pass owner_departments= "
                               f"(the departments of its owners {', '.join(self.owners)})")
        activation = {"person": person_value(person), "entitlement": self._cel_entitlement}
        if request is not None:
            activation["request"] = request_value(request)
        if owner_departments is not None:
            activation[OWNER_DEPARTMENTS] = departments_value(owner_departments)
        return activation

    def is_eligible(self, person: PersonFacts, owner_departments: Collection[str] | None = None) -> Eligibility:
        """``owner_departments``: the departments of the owners' directory entries (needed when
        ``reads_owner_departments``; MissingFacts otherwise, never a silent "not eligible")."""
        if not person.is_active:
            return Eligibility(False, f"{person.email} is not active (status: {person.status})")
        rule = self.eligibility
        if rule is None:
            return Eligibility(True, f"{self.label} has no eligibility rule: every active person may request it")
        result = rule.condition.evaluate(self._activation(person, owner_departments))
        if result.error:
            return Eligibility(False, f"the eligibility rule {rule.text} for {self.label} could not be "
                                      f"evaluated for {person.email}: {result.error} ({rule.origin})")
        if result.value:
            return Eligibility(True, f"{person.email} meets the eligibility rule {rule.text} ({rule.origin})")
        return Eligibility(False, f"{person.email} does not meet the eligibility rule {rule.text} "
                                  f"for {self.label} ({rule.origin})")

    def may_break_glass(self, person: PersonFacts, owner_departments: Collection[str] | None = None) -> Eligibility:
        """Whether the break-glass ``who:`` rule lets ``person`` skip approval (eligibility is checked apart)."""
        if self.break_glass is None:
            return Eligibility(False, f"{self.label} does not allow break-glass access")
        return self.break_glass.may_use(person, self._activation(person, owner_departments))

    @cached_property
    def on_call_schedules(self) -> frozenset[str]:
        """The on-call schedules its auto-approve rules ask about (fetch them before deciding)."""
        return frozenset().union(*(rule.condition.schedules for rule in self.auto_approve))

    def auto_approve_rule(self, person: PersonFacts, request: RequestFacts,
                          owner_departments: Collection[str] | None = None,
                          on_call: OnCallAnswers | None = None) -> str | None:
        """Why this request needs no human approval, or None when it goes through the approval chain."""
        approval = self.auto_approval(person, request, owner_departments, on_call)
        return approval.reason if approval else None

    def auto_approval(self, person: PersonFacts, request: RequestFacts,
                      owner_departments: Collection[str] | None = None,
                      on_call: OnCallAnswers | None = None) -> AutoApproval | None:
        """The first auto-approve rule that holds, or None. ``on_call``: the answers on-call rules read
        (absent: nobody is on call); a rule that ends with the shift gives the shift's end."""
        if not person.is_active:
            return None
        if not self.approval_steps:
            return AutoApproval(f"{self.label} has no approval steps: requests are approved on submission")
        if not self.auto_approve:
            return None
        activation = self._activation(person, owner_departments, request)
        for rule in self.auto_approve:
            if rule.condition.evaluate(activation, on_call).value:
                ends_by = on_call.shift_end(rule.condition.schedules) if on_call and rule.ends_with_shift else None
                return AutoApproval(f"auto-approve rule '{rule.name}': {rule.text} ({rule.origin})", rule, ends_by)
        return None

    def auto_approve_trace(self, person: PersonFacts, request: RequestFacts,
                           owner_departments: Collection[str] | None = None,
                           on_call: OnCallAnswers | None = None) -> list[tuple[Rule, bool, str | None]]:
        """Every auto-approve rule with its outcome and error, for explanations."""
        activation = self._activation(person, owner_departments, request)
        out = []
        for rule in self.auto_approve:
            result = rule.condition.evaluate(activation, on_call)
            out.append((rule, result.value, result.error))
        return out

    def check_request(self, request: RequestFacts) -> list[str]:
        """Messages for everything wrong with a request's duration, justification and ticket."""
        problems = []
        duration_problem = self.durations.validate(request.duration)
        if duration_problem:
            problems.append(duration_problem)
        if self.require_justification and not request.justification.strip():
            problems.append(f"{self.label} needs a justification")
        ticket = request.ticket.strip()
        if self.require_ticket and not ticket:
            problems.append(f"{self.label} needs a ticket reference")
        if ticket and self.ticket_pattern and not re.fullmatch(self.ticket_pattern, ticket):
            problems.append(f"{ticket!r} does not look like a ticket for {self.label} "
                            f"(expected to match {self.ticket_pattern})")
        return problems

    def warnings_for(self, duration: timedelta | None) -> list[timedelta]:
        """Expiry warnings that fit a grant of ``duration``, longest first; none for permanent grants.

        Configured warnings are kept when they fall inside the grant; built-in ones only in its second
        half (a 4h grant is not warned 1 day ahead). A grant too short for any of them still gets one
        warning 10 minutes before it ends, if it lasts at least 20 minutes.
        """
        if duration is None:
            return []
        if self.expiry_warnings_configured:
            kept = [w for w in self.expiry_warnings if w < duration]
        else:
            kept = [w for w in self.expiry_warnings if w <= duration / 2]
        if not kept and SHORT_GRANT_WARNING <= duration / 2:
            kept = [SHORT_GRANT_WARNING]
        return kept


@dataclass(frozen=True, eq=False, repr=False)
class Resource:
    id: str
    name: str
    description: str
    owners: list[str]
    approvals_channel: str | None
    entitlements: dict[str, Entitlement]
    source: SourceRef

    def __repr__(self) -> str:
        return f"<Resource {self.id}: {', '.join(self.entitlements)}>"
