"""The fake workspace: users, conversations, messages, views, triggers and response URLs.

One `Workspace` per FakeSlack. Every read or write happens under `lock`; the HTTP handler threads, the
Socket Mode link and the test thread all share it. Records here are mutable and private to the fake: tests get
frozen copies from snapshots.py.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TEAM_ID = "T0FAKETEAM"
TEAM_DOMAIN = "accessbot-test"
ENTERPRISE_ID = None
APP_ID = "A0FAKEAPP1"
BOT_ID = "B0FAKEBOT1"
BOT_USER_ID = "U0FAKEBOT1"
TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_MODAL_STACK = 3  # the root view plus two pushes


@dataclass
class User:
    id: str
    email: str | None
    name: str
    real_name: str
    tz: str = "UTC"
    is_bot: bool = False
    deleted: bool = False
    email_confirmed: bool = True
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_admin: bool = False
    updated: int = 0


@dataclass
class Conversation:
    id: str
    name: str
    members: set[str]
    is_private: bool = False
    im_user: str | None = None  # set for the bot's direct message with one user
    created: int = 0

    @property
    def is_im(self) -> bool:
        return self.im_user is not None


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    users: list[str]
    description: str = ""
    disabled: bool = False
    date_create: int = 0
    date_update: int = 0
    updated_by: str = BOT_USER_ID


@dataclass
class MessageRecord:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    metadata: dict | None = None
    bot_id: str | None = BOT_ID
    edited_ts: str | None = None
    deleted: bool = False
    revisions: int = 0  # how many times chat.update / replace_original rewrote it


@dataclass
class EphemeralRecord:
    message_ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict]
    source: str  # "chat.postEphemeral", "response_url" or "ack" (the immediate answer to a slash command)
    deleted: bool = False
    revisions: int = 0


@dataclass
class ViewRecord:
    id: str
    user: str
    body: dict  # what the app sent, with block_id / action_id filled in where Slack would generate them
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    closed: bool = False
    state_values: dict = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.body["type"]

    def as_slack(self) -> dict[str, Any]:
        """The view object as Slack returns it from views.* and sends it in interaction payloads."""
        body = self.body
        return {
            "id": self.id, "team_id": TEAM_ID, "type": body["type"],
            "blocks": body.get("blocks", []), "private_metadata": body.get("private_metadata", ""),
            "callback_id": body.get("callback_id", ""), "state": {"values": self.state_values},
            "hash": self.hash, "title": body.get("title"), "clear_on_close": body.get("clear_on_close", False),
            "notify_on_close": body.get("notify_on_close", False), "close": body.get("close"),
            "submit": body.get("submit"), "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id, "app_id": APP_ID, "external_id": body.get("external_id", ""),
            "app_installed_team_id": TEAM_ID, "bot_id": BOT_ID,
        }


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float
    view_id: str | None = None  # the modal the interaction came from, which a views.push lands on
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    user: str
    channel: str
    issued_at: float
    source_ts: str | None = None  # the message (or ephemeral) whose interaction issued it
    source_is_ephemeral: bool = False
    uses: int = 0


class Workspace:
    """State and id allocation. Callers hold `lock` while they read or change anything."""

    def __init__(self, clock_seconds):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.now = clock_seconds
        self.users: dict[str, User] = {}
        self.conversations: dict[str, Conversation] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.messages: dict[tuple[str, str], MessageRecord] = {}
        self.ephemerals: list[EphemeralRecord] = []
        self.views: dict[str, ViewRecord] = {}
        self.homes: dict[str, str] = {}  # user id → view id of the published Home view
        self.modal_stacks: dict[str, list[str]] = {}  # user id → view ids, root first
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self._counter = itertools.count(1)
        self._last_ts = 0.0
        self.add_user(User(id=BOT_USER_ID, email=None, name="accessbot", real_name="accessbot", is_bot=True))

    def add_user(self, user: User) -> User:
        user.updated = user.updated or int(self.now())
        self.users[user.id] = user
        return user

    def next_id(self, prefix: str, width: int = 9) -> str:
        return f"{prefix}{next(self._counter):0{width}d}"

    def next_ts(self) -> str:
        """A message timestamp: the clock's seconds, kept strictly increasing so two posts never collide."""
        value = max(round(self.now(), 6), round(self._last_ts + 0.000001, 6))
        self._last_ts = value
        return f"{value:.6f}"

    def new_hash(self) -> str:
        return f"{int(self.now())}.{secrets.token_hex(4)}"

    def new_trigger(self, user: str, view_id: str | None) -> Trigger:
        trigger_id = f"{next(self._counter)}.{int(self.now())}.{secrets.token_hex(16)}"
        trigger = Trigger(id=trigger_id, user=user, issued_at=self.now(), view_id=view_id)
        self.triggers[trigger_id] = trigger
        return trigger

    def im_with(self, user_id: str) -> tuple[Conversation, bool]:
        """The bot's DM with a user, opened on first use; the flag says whether it already existed."""
        for conversation in self.conversations.values():
            if conversation.im_user == user_id:
                return conversation, True
        im = Conversation(id=self.next_id("D"), name=user_id, members={user_id, BOT_USER_ID},
                          im_user=user_id, created=int(self.now()))
        self.conversations[im.id] = im
        return im, False

    def conversation_by_ref(self, ref: str) -> Conversation | None:
        """chat.* accept a conversation id, a `#name`/name, or a user id (meaning the app's DM with them)."""
        if ref in self.conversations:
            return self.conversations[ref]
        if ref.startswith(("U", "W")) and ref in self.users:
            return self.im_with(ref)[0]
        name = ref.removeprefix("#")
        return next((c for c in self.conversations.values() if c.name == name and not c.is_im), None)

    def user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users.values() if u.name == name), None)

    def notify(self) -> None:
        self.changed.notify_all()


def to_seconds(value: Any) -> float:
    """Clocks in this code base return datetimes (bot.domain.clock); slack_sdk's return floats. Accept both."""
    return value.timestamp() if isinstance(value, datetime) else float(value)
