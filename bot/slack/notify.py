"""The outbox reactor: domain events → Slack messages, card updates and App Home refreshes.

Operations write OutboxEvents in their own transaction; after commit (deps.after_commit_hooks, the
Slack listeners, and a periodic sweep) the notifier claims them (outbox.py: one worker per event, in
order per subject), runs every handler registered for the event type, and marks the event
dispatched. If a handler raises, the event is retried later with backoff, never dropped.

Adding a surface (for example manual-task cards):

    def post_task_card(d: Dispatch, event: Event) -> None:
        task_id = event.payload["task_id"]
        if not d.out.has(("task", task_id), "task_card"):
            d.out.post(channel, render_task(load(task_id)), subject=("task", task_id), purpose="task_card")
        d.refresh_home(person_id)

    handlers.add("manual_task.opened", post_task_card)      # in bot/slack/notices/__init__.py:register

Handlers must be idempotent: a retry runs every handler of the event again. Use MessageRefs (d.out.has /
d.out.copies) to post each copy once and render from the database, not from the payload, so a late
or repeated event draws the current state.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import delete

from bot.ledger.events import EventName, checked
from bot.slack import outbox
from bot.slack.delivery import Outbound
from bot.slack.outbox import Event
from bot.store.models import DeliveryKey

log = logging.getLogger(__name__)

DELIVERY_KEY_PREFIX = "slack-event:"
DELIVERY_KEY_RETENTION = timedelta(days=2)


@dataclass
class Dispatch:
    """What a handler works with while handling one event."""

    out: Outbound
    deps: object
    homes: set[int] = field(default_factory=set)

    def refresh_home(self, *person_ids: int | None) -> None:
        self.homes.update(p for p in person_ids if p is not None)


Handler = Callable[[Dispatch, Event], None]


class Handlers:
    """Event type → handlers, run in registration order."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[Handler]] = defaultdict(list)

    def add(self, event_type: EventName, handler: Handler) -> None:
        self._by_type[str(checked(event_type))].append(handler)

    def on(self, *event_types: EventName) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.add(event_type, handler)
            return handler
        return register

    def for_type(self, event_type: str) -> list[Handler]:
        return list(self._by_type.get(event_type, ()))

    @property
    def types(self) -> set[str]:
        return {t for t, hs in self._by_type.items() if hs}


def describe(error: Exception) -> str:
    """A short, secret-free line for outbox_events.last_error."""
    if isinstance(error, SlackApiError):
        response = error.response
        method = response.api_url.rsplit("/", 1)[-1]
        return f"Slack answered {response.get('error')} (HTTP {response.status_code}) to {method}"
    return f"{type(error).__name__}: {error}"


class Notifier:
    def __init__(self, deps, out: Outbound, handlers: Handlers, publish_home: Callable[[int], None], *,
                 interval: float = 30.0, batch: int = 50):
        self.deps, self.out, self.handlers = deps, out, handlers
        self.publish_home = publish_home
        self.interval, self.batch = interval, batch
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drain_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="accessbot-slack-notifier", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def busy(self) -> bool:
        """A drain is running right now (tests wait for the notifier to be idle)."""
        return self._drain_lock.locked()

    def wake(self) -> None:
        """Ask for a drain soon (cheap, non-blocking: safe from request threads and commit hooks)."""
        self._wake.set()

    def _loop(self) -> None:
        sweeps = 0
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.drain()
                sweeps += 1
                if sweeps % 100 == 1:
                    self.prune_delivery_keys()
            except Exception:  # the worker's outermost boundary: log with stack and keep sweeping
                log.exception("Slack notifier sweep failed; retrying at the next wake-up")

    # -- draining -----------------------------------------------------------------------------
    def drain(self, max_batches: int = 100) -> int:
        """Handle everything claimable now; returns how many events were handled (dispatched or failed)."""
        with self._drain_lock:
            total = 0
            for _ in range(max_batches):
                with self.deps.store.uow() as s:
                    events = outbox.claim(s, now=self.deps.clock.now(), store=self.deps.store,
                                          replica_id=self.deps.runner.replica_id, limit=self.batch)
                if not events:
                    break
                homes: set[int] = set()
                for event in events:
                    homes |= self._handle(event)
                    total += 1
                self._refresh_homes(homes)
            return total

    def _handle(self, event: Event) -> set[int]:
        dispatch = Dispatch(self.out, self.deps)
        handlers = self.handlers.for_type(event.type)
        try:
            for handler in handlers:
                handler(dispatch, event)
        except Exception as error:  # any failure: keep the event and try again later
            log.exception("Slack handling of outbox event %s (%s) failed", event.id, event.type)
            with self.deps.store.uow() as s:
                outbox.mark_failed(s, event.id, now=self.deps.clock.now(), attempts=event.attempts,
                                   error=describe(error))
            return dispatch.homes
        with self.deps.store.uow() as s:
            outbox.mark_dispatched(s, event.id, now=self.deps.clock.now(),
                                   note=None if handlers else "no Slack handler for this event type")
        return dispatch.homes

    def _refresh_homes(self, person_ids: Iterable[int]) -> None:
        for person_id in sorted(person_ids):
            try:
                self.publish_home(person_id)
            except Exception:  # a stale Home is redrawn when the user opens it; not worth failing events
                log.exception("App Home refresh for person %s failed", person_id)

    def prune_delivery_keys(self) -> int:
        cutoff = self.deps.clock.now() - DELIVERY_KEY_RETENTION
        with self.deps.store.uow() as s:
            return s.execute(delete(DeliveryKey).where(DeliveryKey.key.startswith(DELIVERY_KEY_PREFIX),
                                                       DeliveryKey.seen_at < cutoff)).rowcount
