"""`/offboard @user [at YYYY-MM-DD [HH:MM]]`: what IT typed, before anything is looked up.

The manifest declares the command with ``should_escape``, so Slack sends a mention as
``<@U123|jane>``; a name Slack could not resolve arrives as plain ``@jane`` and is refused here.
A time is read in the IT admin's time zone by the listener (a date alone means the end of that day).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, time

from bot.slack.access_command import Help, Problem
from bot.slack.mentioned import mention_id
from bot.slack.views.mrkdwn import escape

USAGE = ("*Offboard someone* (IT admins)\n"
         "• `/offboard @jane` shows everything Jane holds, per system, and offboards her when you confirm.\n"
         "• `/offboard @jane at 2026-12-31 18:00` schedules it (your time zone); a date alone means the end of "
         "that day.")
_WHEN = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?$")



@dataclass(frozen=True)
class Offboard:
    slack_user_id: str
    day: date | None = None  # None: now
    at: time | None = None  # None with a day: the end of that day


def parse(text: str) -> Help | Problem | Offboard:
    raw = (text or "").strip()
    words = raw.split(None, 1)
    if not words or words[0].lower() in ("help", "?", "-h", "--help"):
        return Help(USAGE)
    user_id = mention_id(words[0])
    if user_id is None:
        shown = html.unescape(words[0])
        return Problem(f"Mention the person to offboard, e.g. `/offboard @jane` (I could not find “{escape(shown)}” "
                       f"in Slack).\n\n{USAGE}")
    rest = words[1].strip() if len(words) > 1 else ""
    if not rest:
        return Offboard(user_id)
    when = rest[3:].strip() if rest.lower().startswith("at ") else None
    matched = _WHEN.match(when or "")
    if matched is None:
        return Problem(f"I don't understand “{escape(html.unescape(rest))}”. Write the time as `at 2026-12-31 18:00`.\n\n{USAGE}")
    try:
        day = date.fromisoformat(matched.group(1))
        at = time.fromisoformat(f"{int(matched.group(2)[:-3]):02d}:{matched.group(2)[-2:]}") if matched.group(2) else None
    except ValueError:
        return Problem(f"“{escape(html.unescape(when))}” is not a real date and time.\n\n{USAGE}")
    return Offboard(user_id, day, at)
