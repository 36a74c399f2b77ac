"""Break-glass refusals: each has its own stable code so the audit log and metrics tell them apart."""

from bot.domain.errors import DomainError, NotEligible


class BreakGlassNotAllowed(NotEligible):
    code = "break_glass_not_allowed"


class BreakGlassNotEligible(NotEligible):
    code = "break_glass_not_eligible"


class BudgetExhausted(DomainError):
    code = "break_glass_budget_exhausted"
    http_status = 429


class ReviewOverdue(DomainError):
    code = "break_glass_review_overdue"
    http_status = 409
