"""Offboarding in Slack: /offboard, its modal, the confirm/cancel buttons, the live report."""

from bot.slack.listeners import offboard, offboard_buttons
from bot.slack.notices import offboarding

LISTENERS = (offboard, offboard_buttons)
NOTICES = (offboarding,)
