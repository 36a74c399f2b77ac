"""The requests feature in Slack: /access, the request card, approve/deny, extend, App Home."""

from bot.slack.listeners import decide, grants, home, request
from bot.slack.notices import expiry, reminders, requests
from bot.slack.notices import grants as grant_notices

LISTENERS = (request, decide, home, grants)
NOTICES = (requests, grant_notices, expiry, reminders)
