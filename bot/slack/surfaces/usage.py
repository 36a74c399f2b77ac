"""Usage in Slack: the holder's "keep it or release it?" DM, its buttons and the Keep modal."""

from bot.slack.listeners import usage
from bot.slack.notices import usage as usage_notices

LISTENERS = (usage,)
NOTICES = (usage_notices,)
