"""Every Slack listener, registered in one place. Order matters: Bolt runs the first listener that
matches, so specific surfaces come first and fallbacks (not_yet) last."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (admin, alerts, break_glass, decide, grants, home, manual_tasks, not_yet, offboard,
                                 offboard_buttons, request)
from bot.slack.listeners import review as review_listeners
from bot.slack.listeners import usage as usage_listeners

MODULES = [request, break_glass, decide, home, grants, manual_tasks, alerts, offboard, offboard_buttons, admin,
           review_listeners, usage_listeners]


def register(app: App) -> None:
    for module in MODULES:
        module.register(app)
    not_yet.register(app)
