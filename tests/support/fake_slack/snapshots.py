"""Frozen copies of what Slack shows, handed to tests (records in state.py stay private to the fake).

A snapshot is what a user saw at one moment. SlackSim can press a button on an old snapshot, which is how tests
play a race: two approvers both looking at a card that still shows Approve.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_slack.state import EphemeralRecord, MessageRecord, ViewRecord


def visible_text(blocks: list[dict], fallback: str = "") -> str:
    """The text a user reads: every text object in the blocks (or the top-level text when there are none)."""
    if not blocks:
        return fallback
    parts: list[str] = []
    _collect_text(blocks, parts)
    return "\n".join(parts)


def _collect_text(node: Any, parts: list[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("text"), str) and node.get("type") in ("plain_text", "mrkdwn", "text", "link"):
            parts.append(node["text"])
        for key, value in node.items():
            if key not in ("action_id", "block_id", "value", "url", "image_url"):
                _collect_text(value, parts)
    elif isinstance(node, list):
        for item in node:
            _collect_text(item, parts)


@dataclass(frozen=True)
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict] = field(hash=False)
    thread_ts: str | None = None
    metadata: dict | None = field(default=None, hash=False)
    revisions: int = 0
    deleted: bool = False

    @property
    def visible_text(self) -> str:
        return visible_text(self.blocks, self.text)

    @property
    def ref(self) -> tuple[str, str]:
        return (self.channel, self.ts)

    @classmethod
    def of(cls, record: MessageRecord) -> Message:
        return cls(channel=record.channel, ts=record.ts, user=record.user, text=record.text,
                   blocks=copy.deepcopy(record.blocks), thread_ts=record.thread_ts,
                   metadata=copy.deepcopy(record.metadata), revisions=record.revisions, deleted=record.deleted)


@dataclass(frozen=True)
class Ephemeral:
    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[dict] = field(hash=False)
    source: str = "chat.postEphemeral"
    revisions: int = 0

    @property
    def visible_text(self) -> str:
        return visible_text(self.blocks, self.text)

    @classmethod
    def of(cls, record: EphemeralRecord) -> Ephemeral:
        return cls(channel=record.channel, user=record.user, message_ts=record.message_ts, text=record.text,
                   blocks=copy.deepcopy(record.blocks), source=record.source, revisions=record.revisions)


@dataclass(frozen=True)
class View:
    id: str
    user: str
    type: str
    hash: str
    body: dict = field(hash=False)  # the view as Slack returns it, with state
    closed: bool = False

    @property
    def blocks(self) -> list[dict]:
        return self.body.get("blocks", [])

    @property
    def callback_id(self) -> str:
        return self.body.get("callback_id", "")

    @property
    def private_metadata(self) -> str:
        return self.body.get("private_metadata", "")

    @property
    def title(self) -> str:
        return (self.body.get("title") or {}).get("text", "")

    @property
    def visible_text(self) -> str:
        return visible_text(self.blocks)

    @classmethod
    def of(cls, record: ViewRecord) -> View:
        return cls(id=record.id, user=record.user, type=record.type, hash=record.hash,
                   body=copy.deepcopy(record.as_slack()), closed=record.closed)
