"""Outbox event handlers for Slack: each feature's notices (bot/slack/surfaces, in bot.features order)."""

from __future__ import annotations

from bot import features
from bot.slack.notify import Handlers


def register(handlers: Handlers) -> Handlers:
    for surface in features.slack_surfaces():
        for module in surface.NOTICES:
            module.register(handlers)
    return handlers

