"""Small phrases several renderers share (durations, risk, a person with their role, time left)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.slack.views import mrkdwn as md
from policies import humanize

RISK_BADGES = {"low": "🟢 low", "medium": "🟡 medium", "high": "🟠 high", "critical": "🔴 critical"}


def duration_text(duration: timedelta | None) -> str:
    return humanize(duration)


def risk_text(risk: str) -> str:
    return RISK_BADGES.get(risk, md.escape(risk))


def person_line(person) -> str:
    """"<@U1> (Engineer, Engineering)": who, and what they do, for an approver deciding."""
    role = ", ".join(md.escape(x) for x in (person.title, person.department) if x)
    return md.person(person.name, person.slack_user_id) + (f" ({role})" if role else "")


def time_left(ends_at: datetime | None, now: datetime) -> str:
    if ends_at is None:
        return "permanent"
    left = ends_at - now
    if left <= timedelta():
        return "ending now"
    minutes = int(left.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min left"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min left" if minutes else f"{hours} h left"
    return f"{hours // 24} days left"
