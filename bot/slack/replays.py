"""A quick-path `/access` (or a request form submission) sent twice does one thing.

Slack may deliver a slash command again (its retry headers, ``X-Slack-Retry-Num`` /
``X-Slack-Retry-Reason``, say so), and anyone holding a signed command can replay its exact bytes
for the five minutes the signature stays valid. Each command is keyed on what identifies it: team,
user, command, text and Slack's ``trigger_id`` (minted once per invocation, so typing the same thing
again is a new command). The key is a ``DeliveryKey`` row written in the same transaction as the
request, so replicas agree and two concurrent copies cannot both submit; within the window a copy
is answered with what the first one did. A form submission is keyed the same way on team, user, the
view's id and the submission's ``trigger_id`` (Slack never retries those, but their bytes replay as
well). Keys share the event keys' prefix, and so their pruning.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.slack.notify import DELIVERY_KEY_PREFIX
from bot.store.models import DeliveryKey

WINDOW = timedelta(minutes=5)  # Slack's signature window: an older copy is refused with 401 anyway
PREFIX = f"{DELIVERY_KEY_PREFIX}command:"


def command_key(body: dict) -> str:
    return _key("command", *(body.get(name) or "" for name in ("team_id", "user_id", "command", "text", "trigger_id")))


def submission_key(body: dict) -> str:
    team, user, view = (body.get(name) or {} for name in ("team", "user", "view"))
    return _key("view_submission", team.get("id"), user.get("id"), view.get("id"), body.get("trigger_id"))


def _key(*parts: object) -> str:
    return PREFIX + hashlib.sha256("\x1f".join(str(p or "") for p in parts).encode()).hexdigest()


def retry_of(headers: dict) -> str:
    """"retry 2 (http_timeout)" when Slack says this delivery is a retry, else ""."""
    def first(name: str) -> str:
        value = headers.get(name) or [""]
        return value[0] if isinstance(value, list | tuple) else str(value)
    number, reason = first("x-slack-retry-num"), first("x-slack-retry-reason")
    return f"retry {number} ({reason or 'no reason given'})" if number else ""


def earlier(s: Session, key: str, now: datetime) -> str | None:
    """What the first copy of this command did (its note), if it came within the window."""
    row = s.get(DeliveryKey, key)
    return row.note if row is not None and now - row.seen_at < WINDOW else None


def remember(s: Session, key: str, now: datetime, note: str) -> None:
    row = s.get(DeliveryKey, key)
    if row is None:
        s.add(DeliveryKey(key=key, seen_at=now, note=note))
    else:  # an old copy, outside the window: this one counts from now
        row.seen_at, row.note = now, note
    s.flush()  # a concurrent copy's insert fails here (or at commit) instead of submitting twice
