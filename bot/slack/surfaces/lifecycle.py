"""The lifecycle in Slack: access a move ends, IT's notes on HR events and re-hires."""

from bot.slack.notices import lifecycle

LISTENERS = ()
NOTICES = (lifecycle,)
