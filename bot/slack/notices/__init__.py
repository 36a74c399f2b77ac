"""Outbox event handlers for Slack, by subject. Add a module for a new surface and list it here."""

from __future__ import annotations

from bot.slack.notices import alerts, break_glass, expiry, grants, lifecycle, offboarding, reminders, requests, tasks
from bot.slack.notices import review as review_notices
from bot.slack.notices import usage as usage_notices
from bot.slack.notify import Handlers


def register(handlers: Handlers) -> Handlers:
    requests.register(handlers)
    grants.register(handlers)
    tasks.register(handlers)
    expiry.register(handlers)
    alerts.register(handlers)
    reminders.register(handlers)
    offboarding.register(handlers)
    lifecycle.register(handlers)
    break_glass.register(handlers)
    review_notices.register(handlers)
    usage_notices.register(handlers)
    return handlers
