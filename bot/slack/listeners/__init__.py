"""Every Slack listener: each feature's (bot/slack/surfaces, in bot.features order), then the
fallbacks. Order matters: Bolt runs the first listener that matches, so not_yet comes last."""

from __future__ import annotations

from slack_bolt import App

from bot import features
from bot.slack.listeners import not_yet


def register(app: App) -> None:
    for surface in features.slack_surfaces():
        for module in surface.LISTENERS:
            module.register(app)
    not_yet.register(app)
