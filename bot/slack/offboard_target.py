"""Who and when an /offboard is about: the mentioned Slack user matched to the directory, and the
typed time read in the IT admin's time zone.

The person is found by bot/slack/mentioned.py (deactivated accounts included: a leaver's often is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.domain.errors import InvalidState
from bot.ledger.context import Actor
from bot.lifecycle.people import end_of_day, zone_of
from bot.offboarding.confirm import target_of
from bot.slack.listeners.common import person_of
from bot.slack.mentioned import mentioned_person
from bot.slack.offboard_command import Offboard
from bot.slack.views import mrkdwn as md


@dataclass(frozen=True)
class Target:
    person_id: int
    email: str
    mention: str
    at: datetime | None  # None: now
    when_text: str | None


def find_target(deps, client: WebClient, actor: Actor, parsed: Offboard) -> Target:
    person_id = mentioned_person(deps, client, parsed.slack_user_id)
    ctx = deps.ctx(actor)
    with deps.store.uow() as s:
        admin = person_of(s, actor)
        person = target_of(s, ctx, admin=admin, person_id=person_id)
        zone = zone_of(ctx, admin)
        email, mention = person.email, md.person(person.name, person.slack_user_id or parsed.slack_user_id)
    at = _moment(parsed, zone, ctx.now)
    when = f"{md.date(at)} ({at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key})" if at else None
    return Target(person_id, email, mention, at, when)


def _moment(parsed: Offboard, zone: ZoneInfo, now: datetime) -> datetime | None:
    if parsed.day is None:
        return None
    at = (datetime.combine(parsed.day, parsed.at, zone).astimezone(timezone.utc) if parsed.at
          else end_of_day(parsed.day, zone))
    if at <= now:
        raise InvalidState(f"{at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key}) has passed: use `/offboard` "
                           "without a time to offboard now.")
    return at
