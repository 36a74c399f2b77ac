"""The resolved ``break_glass:`` policy of one entitlement (see policies/break_glass_spec.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from policies import durations

if TYPE_CHECKING:
    from policies.context import PersonFacts
    from policies.model import Eligibility, Rule


@dataclass(frozen=True)
class BreakGlassPolicy:
    who: Rule | None
    max_duration: timedelta
    budget_uses: int
    budget_period: timedelta
    require_ticket: bool
    ticket_pattern: str | None
    notify: tuple[str, ...]  # approvers, it_channel, manager
    channel: str | None
    review_by: str  # manager | owners | people
    review_people: tuple[str, ...]
    review_within: timedelta
    block_when_overdue: bool
    origin: str  # where the block was written

    def may_use(self, person: PersonFacts, activation: dict[str, Any]) -> Eligibility:
        from policies.model import Eligibility

        rule = self.who
        if rule is None:
            return Eligibility(True, "the break-glass policy has no who: rule")
        result = rule.condition.evaluate(activation)
        if result.error:
            return Eligibility(False, f"the break-glass rule {rule.text} could not be evaluated for "
                                      f"{person.email}: {result.error} ({rule.origin})")
        if result.value:
            return Eligibility(True, f"{person.email} meets the break-glass rule {rule.text}")
        return Eligibility(False, f"{person.email} does not meet the break-glass rule {rule.text} ({rule.origin})")

    def describe(self) -> str:
        return (f"at most {durations.humanize(self.max_duration)}, {self.budget_uses} use(s) per "
                f"{durations.humanize(self.budget_period)}, reviewed by {self.review_by} within "
                f"{durations.humanize(self.review_within)} of the end")
