"""Chase an open manual task (run by the repost timer): post it again, and once it has been open
longer than the connector's escalation time, tell IT once.

Cadence and escalation come from the connector instance's options: ``repost_after_seconds``
(default 4 hours) and ``escalate_after_seconds`` (default 24 hours).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.event_names import TaskEvent
from bot.ledger.events import emit, happened
from bot.store.models import ManualTask, Person, ProvisioningAction

DEFAULT_REPOST_AFTER = timedelta(hours=4)
DEFAULT_ESCALATE_AFTER = timedelta(hours=24)


def repost_task(s: Session, ctx: Ctx, *, task_id: int, options_of: Callable[[str], Mapping[str, Any]],
                escalated: bool) -> bool:
    """``options_of(connector name)``: that instance's options. False when the task is closed
    (nothing sent, nothing scheduled)."""
    task = s.scalar(select(ManualTask).where(ManualTask.id == task_id).with_for_update())
    if task is None or task.status != "open":
        return False
    action = s.get(ProvisioningAction, task.action_id)
    person = s.get(Person, action.person_id)
    options = options_of(action.connector)
    every = _seconds(options.get("repost_after_seconds"), DEFAULT_REPOST_AFTER)
    escalate_after = _seconds(options.get("escalate_after_seconds"), DEFAULT_ESCALATE_AFTER)
    open_for = ctx.now - task.created_at
    task.reposts += 1
    detail = {"action_id": action.id, "kind": action.action, "entitlement": action.entitlement,
              "connector": action.connector, "channel": task.channel, "reposts": task.reposts,
              "open_seconds": int(open_for.total_seconds())}
    emit(s, ctx, TaskEvent.REPOSTED, task_id=task.id, person_email=person.email, **detail)
    if not escalated and open_for >= escalate_after:
        escalated = True
        happened(s, ctx, TaskEvent.ESCALATED, subject_type="task", subject_id=task.id,
                 person_email=person.email, notify=True,
                 detail={**detail, "it_channel": ctx.catalog.settings.it_channel,
                         "reason": f"open for more than {int(escalate_after.total_seconds() // 3600)} hour(s)"})
    due.schedule(s, due.LedgerKind.TASK_REPOST, task.id, ctx.now + every, now=ctx.now, payload={"escalated": escalated})
    return True


def _seconds(value, default: timedelta) -> timedelta:
    return timedelta(seconds=float(value)) if value else default
