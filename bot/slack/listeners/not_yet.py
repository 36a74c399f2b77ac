"""Commands the manifest declares whose surfaces are not in this build (the IT lifecycle commands).

Registered last: Bolt runs the first matching listener, so a real listener registered earlier wins
and this one never runs for it. Without it Slack would show "dispatch_failed" (Bolt answers 404).
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.ids import Command

LATER: tuple[Command, ...] = ()


def on_command_not_available(ack, command) -> None:
    ack(text=f"`{command['command']}` is not enabled in this accessbot deployment yet. Ask IT for help.")


def register(app: App) -> None:
    for name in LATER:
        app.command(name)(on_command_not_available)
