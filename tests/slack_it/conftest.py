"""A running accessbot with IT's systems: GitHub and the wiki on in-memory connectors, the badge
office and the door-badge system (which has no accounts) as manual connectors posting tasks to
their own channel, and an IT channel."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from bot.directory import service as directory
from connectors.manual import ManualConnector
from connectors.memory import MemoryConnector
from tests.slack.harness import BOB, IVAN, running_bot, seed_slack_users
from tests.support.builders import PAYMENTS_FOUR_EYES, auto, catalog, erp, resource
from tests.support.fake_slack import FakeSlack

IT_CHANNEL, DESK_CHANNEL = "C0ITOPS001", "C0DESK0001"
KIM = "U0KIM00001"  # a second IT admin (it_bot(second_admin=True))
CATALOG = catalog({
    "github": resource("GitHub", connector="gh", owners=["olga@acme.test"], member=auto("gh-members"),
                       admin={"target": "gh-admins", "risk": "high", "approval": ["manager"]}),
    "wiki": resource("Wiki", editor=auto("wiki-editors")),
    "badge": resource("Badge office", connector="desk",
                      lobby=auto("lobby", title="Lobby badge", target_options={
                          "instructions": "Enable the lobby badge of {person} ({email}) in the door system."})),
    "doors": resource("Door badges", connector="doors", hq=auto("hq", title="HQ door badge")),
    "erp": erp(create={"approval": []}),
}, settings={"it_channel": IT_CHANNEL}, defaults={"expiry_warnings": ["1h"], "extend_auto_approve_limit": "1h"},
    separation_of_duties=[PAYMENTS_FOUR_EYES])


def it_connectors() -> dict:
    return {"mem": MemoryConnector("mem"), "gh": MemoryConnector("gh"),
            "desk": ManualConnector("desk", {"channel": DESK_CHANNEL, "app": "Badge office"}),
            # a door-badge system: badges to hand out and take back, no accounts to suspend
            "doors": ManualConnector("doors", {"channel": DESK_CHANNEL, "app": "Door badges", "accounts": False})}


@contextmanager
def it_bot(store, clock, tmp_path, *, second_admin: bool = False, **settings):
    """``second_admin``: Kim, another IT admin (in the directory before the bot starts), for four eyes;
    ``settings``: overrides of the bot's Settings (e.g. the HR webhook secret)."""
    fake = FakeSlack.start()
    try:
        seed_slack_users(fake)
        fake.add_user(IVAN, "ivan@acme.test", "ivan", tz="Europe/Paris")  # IT works in Paris time
        it_people = [IVAN, BOB]
        if second_admin:
            fake.add_user(KIM, "kim@acme.test", "kim")
            it_people.append(KIM)
            with store.uow() as s:
                directory.upsert(s, directory.PersonInput(email="kim@acme.test", name="Kim", department="IT",
                                                          groups=["it-admins"]), source="test", now=clock.now())
        fake.add_channel(IT_CHANNEL, "it-ops", it_people)
        fake.add_channel(DESK_CHANNEL, "badge-desk", it_people)
        with running_bot(store, clock, tmp_path, catalog=CATALOG, fake=fake, connectors=it_connectors(),
                         **settings) as world:
            yield world
        fake.assert_no_unexpected_errors()
    finally:
        fake.stop()


@pytest.fixture
def bot(store, clock, tmp_path):
    with it_bot(store, clock, tmp_path) as world:
        yield world
