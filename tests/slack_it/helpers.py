"""Small steps the IT tests share: give someone access through the normal path, and play an outbox
event the way the timers (a separate part of the bot) write it."""

from __future__ import annotations

from bot.domain.enums import GrantStatus, Trigger
from bot.ledger.context import Actor
from bot.ledger.events import EventName, emit
from tests.support.builders import granted
from tests.support.world import PEOPLE


def holding(bot, email: str, ref: str) -> int:
    """Give ``email`` the entitlement (their manager approves if the policy asks); returns the active grant id."""
    grant_id = granted(bot.world, email, ref, PEOPLE)
    bot.world.run()
    bot.settle()
    [grant] = [g for g in bot.grants_of(email) if g.id == grant_id]
    assert grant.status == GrantStatus.ACTIVE, grant.status
    return grant_id


def timer_event(bot, event_type: EventName, **payload) -> None:
    """An outbox event as bot/timers writes it (its own transaction), then let the notifier run."""
    with bot.store.uow() as s:
        emit(s, bot.deps.ctx(Actor.system("timer", Trigger.TIMER)), event_type, **payload)
    bot.settle()


def grant_status(bot, email: str, grant_id: int) -> str:
    return next(g.status for g in bot.grants_of(email) if g.id == grant_id)
