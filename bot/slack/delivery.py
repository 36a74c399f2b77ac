"""Posting and updating cards for the notifier, and remembering where every copy lives.

Every message that may need redrawing is recorded as a MessageRef (subject, purpose, person, channel,
ts) right after Slack accepted it, so a decision, a timeout or a grant change can find and update
each copy. Slack errors that retrying cannot fix for this one recipient (a deactivated user, an
archived channel…) are logged and skipped so the other recipients still get theirs; anything else
propagates and the whole event is retried later (handlers are idempotent, see notify.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.slack.identity import Identity
from bot.slack.views.common import Rendered
from bot.store.models import MessageRef

log = logging.getLogger(__name__)

# Errors about one recipient or one message that no retry will fix.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled", "cannot_dm_bot",
    "message_not_found", "cant_update_message", "edit_window_closed", "invalid_blocks", "msg_too_long",
    "no_text", "restricted_action", "users_not_found",
})

Subject = tuple[str, object]  # ("request", 12)


@dataclass(frozen=True)
class Copy:
    channel: str
    ts: str
    purpose: str
    person_id: int | None


class Pacer:
    """About one message per second per channel, with a small burst (Slack's chat.postMessage limit)."""

    def __init__(self, burst: int = 4, per_second: float = 1.0):
        self.burst, self.rate = burst, per_second
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get(channel, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                delay, self._buckets[channel] = 0.0, (tokens - 1, now)
            else:  # reserve the next token: later callers queue behind this one
                delay = (1 - tokens) / self.rate
                self._buckets[channel] = (0.0, now + delay)
        if delay:
            time.sleep(delay)


class Outbound:
    def __init__(self, deps, client: WebClient, identity: Identity, pacer: Pacer | None = None):
        self.deps, self.client, self.identity = deps, client, identity
        self.pacer = pacer or Pacer()
        self._ims: dict[str, str] = {}

    # -- where copies live --------------------------------------------------------------------
    def copies(self, subject: Subject, purpose: str | None = None) -> list[Copy]:
        with self.deps.store.uow() as s:
            query = select(MessageRef).where(MessageRef.subject_type == subject[0],
                                             MessageRef.subject_id == str(subject[1]))
            if purpose is not None:
                query = query.where(MessageRef.purpose == purpose)
            return [Copy(r.channel, r.ts, r.purpose, r.person_id) for r in s.scalars(query.order_by(MessageRef.id))]

    def has(self, subject: Subject, purpose: str, person_id: int | None = None) -> bool:
        return any(c.person_id == person_id or person_id is None for c in self.copies(subject, purpose))

    def link(self, person_ids: set[int]) -> int:
        """Find (by e-mail) and store the Slack accounts of these people; returns how many were found."""
        return sum(1 for person_id in sorted(person_ids) if self.identity.slack_id_for(person_id, self.client))

    # -- sending ------------------------------------------------------------------------------
    def dm_channel(self, person_id: int) -> str | None:
        user_id = self.identity.slack_id_for(person_id, self.client)
        if user_id is None:
            return None
        if user_id not in self._ims:
            try:
                self._ims[user_id] = self.client.conversations_open(users=user_id)["channel"]["id"]
            except SlackApiError as error:
                if _permanent(error):
                    log.warning("cannot open a DM with %s: %s", user_id, error.response.get("error"))
                    return None
                raise
        return self._ims[user_id]

    def post_dm(self, person_id: int, message: Rendered, *, subject: Subject, purpose: str) -> Copy | None:
        channel = self.dm_channel(person_id)
        if channel is None:
            return None
        return self.post(channel, message, subject=subject, purpose=purpose, person_id=person_id)

    def post(self, channel: str, message: Rendered, *, subject: Subject, purpose: str,
             person_id: int | None = None, thread_ts: str | None = None) -> Copy | None:
        self.pacer.wait(channel)
        try:
            answer = self.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks or None,
                                                  thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
        except SlackApiError as error:
            if _permanent(error):
                log.warning("not posted to %s (%s %s): %s", channel, subject[0], subject[1],
                            error.response.get("error"))
                return None
            raise
        copy = Copy(answer["channel"], answer["ts"], purpose, person_id)
        with self.deps.store.uow() as s:
            s.add(MessageRef(subject_type=subject[0], subject_id=str(subject[1]), purpose=purpose,
                             person_id=person_id, channel=copy.channel, ts=copy.ts, created_at=self.deps.clock.now()))
        return copy

    def update(self, copy: Copy, message: Rendered) -> bool:
        try:
            self.client.chat_update(channel=copy.channel, ts=copy.ts, text=message.text, blocks=message.blocks)
        except SlackApiError as error:
            if _permanent(error):
                log.warning("copy %s/%s not updated: %s", copy.channel, copy.ts, error.response.get("error"))
                return False
            raise
        return True


def _permanent(error: SlackApiError) -> bool:
    return error.response.get("error") in PERMANENT
