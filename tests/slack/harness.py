"""A real accessbot behind real uvicorn, driven by SlackSim, calling the fake Slack over HTTP.

The world (database on SQLite or PostgreSQL, catalog, directory, in-memory connector) is
tests/support/world.py's; every person of it also has a Slack account on the fake.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.deps import Deps
from bot.http.app import create_app
from bot.settings import Settings
from bot.slack.endpoint import slack_plugin, socket_mode_plugin
from bot.store.models import AccessRequest, AuditEvent, Grant, MessageRef, OutboxEvent
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack.snapshots import Message, View
from tests.support.live_server import serve_asgi
from tests.support.slack_sim import SlackSim
from tests.support.builders import PERMANENT, catalog_document, dump, resource
from tests.support.world import WORLD_DEFAULTS, World, aws_prod_admin, github, make_world

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ALICE, BOB, DANA, ERIN, OLGA, IVAN = "U0ALICE001", "U0BOB00001", "U0DANA0001", "U0ERIN0001", "U0OLGA0001", "U0IVAN0001"
P1, P2, P3 = "U0PONE0001", "U0PTWO0001", "U0PTHREE01"
MALLORY = "U0MALLORY1"  # a Slack member who is not in the directory
APPROVALS_CHANNEL = "C0APPROVAL"
SLACK_IDS = {"alice@acme.test": ALICE, "bob@acme.test": BOB, "dana@acme.test": DANA, "erin@acme.test": ERIN,
             "olga@acme.test": OLGA, "ivan@acme.test": IVAN, "p1@acme.test": P1, "p2@acme.test": P2,
             "p3@acme.test": P3}

def harness_document() -> dict:
    """The Slack harness's catalog as data, fresh on every call, for a test that changes part of it."""
    return catalog_document({
        "github": github(),
        "aws-prod": resource("AWS production", admin=aws_prod_admin(1)),
        "wiki": resource("Wiki", editor={"target": "wiki-editors", "durations": {"choices": ["1d"], **PERMANENT}}),
        "prod-db": resource("Production database", approvals_channel=APPROVALS_CHANNEL,
                            write={"target": "prod-db-write", "risk": "high", "require_ticket": True,
                                   "ticket_pattern": "INC-[0-9]+",
                                   "approval": [{"people": ["p1@acme.test", "p2@acme.test"], "quorum": 1}, "owners"],
                                   "owners": ["olga@acme.test"]}),
    }, settings={"it_channel": None}, defaults=WORLD_DEFAULTS)


CATALOG = dump(harness_document())


@dataclass
class SlackWorld:
    world: World
    fake: FakeSlack
    sim: SlackSim
    deps: Deps
    app: object
    url: str = ""  # where the bot listens (the admin API, hooks: the same server as /slack/events)

    @property
    def store(self):
        return self.world.store

    @property
    def runtime(self):
        return self.app.state.slack

    # -- reading the database -------------------------------------------------------------------
    def request(self, request_id: int) -> AccessRequest:
        return self.world.request(request_id)

    def last_request_id(self) -> int:
        with self.store.uow() as s:
            return s.scalar(select(func.max(AccessRequest.id)))

    def grants_of(self, email: str) -> list[Grant]:
        return self.world.grants_of(email)

    def refs(self, request_id: int) -> list[MessageRef]:
        with self.store.uow() as s:
            return list(s.scalars(select(MessageRef).where(MessageRef.subject_type == "request",
                                                           MessageRef.subject_id == str(request_id))))

    def audit(self, action: str) -> list[AuditEvent]:
        with self.store.uow() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))

    def undispatched(self) -> int:
        with self.store.uow() as s:
            return s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))

    # -- waiting for the background work --------------------------------------------------------
    def settle(self, timeout: float = 20.0, quiet: float = 0.1) -> None:
        """Until the bot is idle: every outbox event dispatched and no Slack call for `quiet` seconds
        (listeners finish after their ack; the notifier runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.fake.last_seq
            # _busy() first: it also wakes the notifier, which events written outside perform() need.
            if not self._busy() and self.undispatched() == 0:
                time.sleep(quiet)
                if self.fake.last_seq == seen and self.undispatched() == 0 and not self._busy():
                    return
            else:
                time.sleep(0.01)
        raise AssertionError(f"the bot did not settle within {timeout} s ({self.undispatched()} events left)")

    def _busy(self) -> bool:
        self.runtime.notifier.wake()
        return self.runtime.listeners_busy or self.runtime.notifier.busy

    def card_for(self, user: str, request_id: int) -> Message:
        """The latest copy of request #id in the user's DM."""
        def find():
            return [m for m in self.fake.dm(user) if f"Access request #{request_id}:" in m.visible_text]
        return self.fake.wait_until(find, what=f"card #{request_id} in {user}'s DM")[-1]

    def open_form(self, user: str, text: str = "") -> View:
        since = self.fake.last_seq
        ack = self.sim.slash(user, "/access", text)
        assert ack.status == 200, ack.body
        self.fake.wait_for_call("views.open", after=since, ok=True)
        return self.fake.modal_stack(user)[-1]


def seed_slack_users(fake: FakeSlack) -> None:
    for email, user_id in SLACK_IDS.items():
        fake.add_user(user_id, email, email.split("@")[0])
    fake.add_user(MALLORY, "mallory@elsewhere.test", "mallory")
    fake.add_channel(APPROVALS_CHANNEL, "access-approvals", [P1, P2, P3, OLGA])


@contextmanager
def running_bot(store, clock, tmp_path, *, catalog: str = CATALOG, fake: FakeSlack | None = None,
                connectors: dict | None = None, socket_mode: bool = False, plugins: tuple = (),
                **settings_overrides) -> Iterator[SlackWorld]:
    """HTTP mode (signed requests to /slack/events under uvicorn) or Socket Mode (envelopes over the link).
    ``plugins``: more of the app's plugins (e.g. the HR webhook) next to the Slack one."""
    own_fake = fake is None
    fake = fake or FakeSlack.start()
    try:
        if own_fake:
            seed_slack_users(fake)
        world = make_world(store, clock, tmp_path, catalog, connectors)
        settings = Settings(slack_api_url=fake.api_url, slack_bot_token=fake.bot_token, slack_signing_secret=SECRET,
                            slack_app_token=fake.app_token, database_url="sqlite://", **settings_overrides)
        deps = Deps(settings, store, world.catalog, world.connectors, clock)
        app = create_app(settings, deps=deps, plugins=[*plugins, socket_mode_plugin if socket_mode else slack_plugin])
        with serve_asgi(app) as url:
            if socket_mode:
                fake.socket_link.wait_connected()
                sim = SlackSim.over_socket_mode(fake)
            else:
                sim = SlackSim(url, fake, SECRET)
            yield SlackWorld(world, fake, sim, deps, app, url)
            if socket_mode:
                fake.socket_link.close_all()  # Slack's close frame ends the client's blocking receive at once
        if own_fake:
            fake.assert_no_unexpected_errors()
    finally:
        if own_fake:
            fake.stop()


def action_ids(blocks: list[dict]) -> list[str]:
    """The interactive elements a surface offers (what a user could press)."""
    found = []
    for block in blocks:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for element in [*elements, block.get("accessory")]:
            if isinstance(element, dict) and element.get("action_id"):
                found.append(element["action_id"])
    return found


def button(blocks: list[dict], action_id: str) -> dict:
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory")]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} element rendered")
