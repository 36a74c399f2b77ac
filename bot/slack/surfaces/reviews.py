"""Access reviews in Slack: the reviewer's items, decisions, reassignment, the notices."""

from bot.slack.listeners import review
from bot.slack.notices import review as review_notices

LISTENERS = (review,)
NOTICES = (review_notices,)
