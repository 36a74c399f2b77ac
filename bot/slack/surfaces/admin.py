"""IT's admin operations in Slack: /access-admin."""

from bot.slack.listeners import admin

LISTENERS = (admin,)
NOTICES = ()
