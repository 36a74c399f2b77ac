"""Manual task events → the task card in the connector's task channel (else the IT channel, else the
IT admins' DMs), reposts and escalations, every copy redrawn once IT answers, and the person told
why when IT cannot do it.

Copies are MessageRefs of subject ("task", id): the first post has purpose ``task_card``, each repost
``task_card:<event id>`` (so a retried event posts nothing twice), and all of them are redrawn.
"""

from __future__ import annotations

from bot.ledger.event_names import TaskEvent
from bot.slack.notices.it_channel import mentions, post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.it_admins import it_admins
from bot.slack.readmodels.request import PersonInfo
from bot.slack.readmodels.task import TaskView, load_task
from bot.slack.views.task_card import render_task_card, render_task_escalation, render_task_refused

TASK_CARD = "task_card"


def _load(d: Dispatch, task_id: int) -> tuple[TaskView | None, tuple[PersonInfo, ...]]:
    with d.deps.store.uow() as s:
        return load_task(s, d.deps.catalog, task_id), it_admins(s, d.deps.catalog)


def card_copies(d: Dispatch, task_id: int):
    return [c for c in d.out.copies(("task", task_id)) if c.purpose.startswith(TASK_CARD)]


def _post_card(d: Dispatch, task: TaskView, purpose: str):
    return post_to_it(d, render_task_card(task), subject=("task", task.id), purpose=purpose, channel=task.channel)


def on_task_opened(d: Dispatch, event: Event) -> None:
    task, _ = _load(d, int(event.payload["task_id"]))
    if task is not None and not card_copies(d, task.id):
        _post_card(d, task, TASK_CARD)


def on_task_reposted(d: Dispatch, event: Event) -> None:
    """A reminder: the card again at the bottom of the channel (with the IT admins named when escalating)."""
    task, admins = _load(d, int(event.payload["task_id"]))
    if task is None or not task.open:
        return
    purpose = f"{TASK_CARD}:{event.id}"
    if d.out.has(("task", task.id), purpose):
        return
    copy = _post_card(d, task, purpose)
    if event.payload.get("escalate"):
        _escalate(d, event, task, admins, copy)


def on_task_escalated(d: Dispatch, event: Event) -> None:
    task, admins = _load(d, int(event.payload["task_id"]))
    copies = card_copies(d, task.id) if task is not None and task.open else []
    if copies:
        _escalate(d, event, task, admins, copies[-1])


def _escalate(d: Dispatch, event: Event, task: TaskView, admins: tuple[PersonInfo, ...], copy) -> None:
    """A threaded mention under the newest copy: editing or reposting a card notifies nobody by name."""
    purpose = f"escalation:{event.id}"
    if copy is None or not admins or d.out.has(("task", task.id), purpose):
        return
    d.out.post(copy.channel, render_task_escalation(task, mentions(d, admins)),
               subject=("task", task.id), purpose=purpose, thread_ts=copy.ts)


def on_task_answered(d: Dispatch, event: Event) -> None:
    task, _ = _load(d, int(event.payload["task_id"]))
    if task is None:
        return
    card = render_task_card(task)
    for copy in card_copies(d, task.id):
        d.out.update(copy, card)
    if task.status == "cannot" and task.kind == "grant":
        _tell_person(d, event, task)


def _tell_person(d: Dispatch, event: Event, task: TaskView) -> None:
    purpose = f"notice:{event.id}"
    if d.out.has(("task", task.id), purpose):
        return
    d.out.post_dm(task.person.id, render_task_refused(task), subject=("task", task.id), purpose=purpose)


def register(handlers: Handlers) -> None:
    handlers.add(TaskEvent.OPENED, on_task_opened)
    handlers.add(TaskEvent.REPOSTED, on_task_reposted)
    handlers.add(TaskEvent.ESCALATED, on_task_escalated)
    handlers.add(TaskEvent.DONE, on_task_answered)
    handlers.add(TaskEvent.CANNOT, on_task_answered)
