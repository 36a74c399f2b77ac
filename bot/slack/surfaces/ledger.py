"""The ledger core in Slack: IT's manual tasks and the alerts of failed connector calls."""

from bot.slack.listeners import alerts, manual_tasks
from bot.slack.notices import alerts as alert_notices
from bot.slack.notices import tasks

LISTENERS = (manual_tasks, alerts)
NOTICES = (tasks, alert_notices)
