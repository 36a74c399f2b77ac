from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack.fixtures import fake_slack  # noqa: F401 - the shared fixture, used below
from tests.fake_slack.demo_app import APPROVER

ALICE, BOB, CAROL = "U0ALICE001", "U0BOB00001", "U0CAROL001"


def seed_people(fake: FakeSlack) -> None:
    fake.add_user(ALICE, "alice@example.com", "alice", tz="Europe/Paris")
    fake.add_user(BOB, "bob@example.com", "bob", tz="America/New_York")
    fake.add_user(CAROL, "carol@example.com", "carol")
    fake.add_user(APPROVER, "approver@example.com", "approver")
    fake.add_channel("C0APPROVAL", "access-approvals", [BOB, CAROL])


@pytest.fixture
def clocked_fake(clock) -> Iterator[FakeSlack]:
    """A seeded fake on the test's ManualClock (tests/conftest.py) for trigger and response_url expiry.
    No error check at the end: these tests provoke Slack errors on purpose."""
    with FakeSlack.start(clock=clock) as fake:
        seed_people(fake)
        yield fake


@pytest.fixture
def fake(fake_slack: FakeSlack) -> Iterator[FakeSlack]:  # noqa: F811 - wraps the shared fixture
    seed_people(fake_slack)
    yield fake_slack
