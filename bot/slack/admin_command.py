"""`/access-admin …` (IT admins): what was typed, before anything is looked up.

    /access-admin grants @jane                              what Jane holds: status, end, who granted it
    /access-admin revoke @jane github:admin [reason…]       end it now
    /access-admin grant @jane github:admin 4h reason…       push it without an approval round
    /access-admin stats                                     the headline lifecycle numbers (last 30 days)
    /access-admin help
    (/access-admin review … and /access-admin usage …: bot.slack.review_command, bot.slack.usage_command)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from bot.slack.access_command import Help, Problem
from bot.slack.mentioned import mention_id
from bot.slack.views.mrkdwn import escape
from policies import DurationError, parse_duration

USAGE = ("*accessbot administration* (IT admins)\n"
         "• `/access-admin grants @jane`: what Jane holds, with status, end and who granted it.\n"
         "• `/access-admin revoke @jane github:admin [reason]`: remove it now.\n"
         "• `/access-admin grant @jane github:admin 4h reason`: give it without an approval round (eligibility, "
         "duration limits and separation of duties still apply; everything is audited).\n"
         "• `/access-admin stats`: time to approve, provision and deprovision, orphaned accounts and open "
         "requests over the last 30 days (`accessbot report` has the rest).\n"
         "• `/offboard @jane`: remove everything Jane holds, on every system.\n"
         "• `/access-admin review help`: access-review campaigns (start, status, remind, close).\n"
         "• `/access-admin usage`: licenses and unused seats; `/access-admin usage collect CONNECTOR` reads "
         "last activity now.")



@dataclass(frozen=True)
class Stats:
    pass


@dataclass(frozen=True)
class ListGrants:
    slack_user_id: str


@dataclass(frozen=True)
class Revoke:
    slack_user_id: str
    entitlement: str
    reason: str


@dataclass(frozen=True)
class Grant:
    slack_user_id: str
    entitlement: str
    duration: timedelta | None
    reason: str


Parsed = Help | Problem | Stats | ListGrants | Revoke | Grant
SHAPES = {"stats": "stats", "grants": "grants @user", "revoke": "revoke @user APP:ROLE [reason]",
          "grant": "grant @user APP:ROLE DURATION REASON"}


def parse(text: str) -> Parsed:
    words = (text or "").split()
    if not words or words[0].lower() in ("help", "?", "-h", "--help"):
        return Help(USAGE)
    verb = words[0].lower()
    if verb not in SHAPES:
        return Problem(f"I don't know `{escape(html.unescape(words[0]))}`.\n\n{USAGE}")
    if verb == "stats":
        return Stats() if len(words) == 1 else _shape(verb, "nothing comes after stats")
    user_id = mention_id(words[1]) if len(words) > 1 else None
    if user_id is None:
        return _shape(verb, "mention the person with @")
    if verb == "grants":
        return ListGrants(user_id) if len(words) == 2 else _shape(verb, "nothing comes after the person")
    if len(words) < 3 or ":" not in words[2]:
        return _shape(verb, "name the access as APP:ROLE, e.g. github:admin")
    if verb == "revoke":
        return Revoke(user_id, words[2], html.unescape(" ".join(words[3:])))
    if len(words) < 5:
        return _shape(verb, "give a duration and a reason")
    try:
        duration = parse_duration(words[3])
    except DurationError as error:
        return _shape(verb, str(error))
    return Grant(user_id, words[2], duration, html.unescape(" ".join(words[4:])))


def _shape(verb: str, problem: str) -> Problem:
    return Problem(f"⚠️ {escape(problem)}: `/access-admin {SHAPES[verb]}`")
