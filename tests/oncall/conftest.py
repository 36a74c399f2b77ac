"""The PagerDuty fake the Slack-level on-call tests share: Alice and Bob are its users, nobody on call yet."""

from __future__ import annotations

import pytest

from tests.oncall.fakes.pagerduty import FakePagerDuty
from tests.oncall.support import PD_TOKEN_VARIABLE


@pytest.fixture
def pagerduty(monkeypatch):
    with FakePagerDuty() as fake:
        monkeypatch.setenv(PD_TOKEN_VARIABLE, fake.token)
        fake.user("PALICE1", "alice@acme.test")
        fake.user("PBOB001", "bob@acme.test")
        yield fake
