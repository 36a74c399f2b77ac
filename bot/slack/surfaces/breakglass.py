"""Break glass in Slack: the emergency modal, IT's review buttons, the notices."""

from bot.slack.listeners import break_glass
from bot.slack.notices import break_glass as break_glass_notices

LISTENERS = (break_glass,)
NOTICES = (break_glass_notices,)
