"""pytest fixture: `fake_slack`, a running FakeSlack that fails the test on any unexpected Slack error.

Use it from a conftest.py with `from tests.support.fake_slack.fixtures import fake_slack  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_slack.fake import FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack.start()
    try:
        yield fake
        fake.assert_no_unexpected_errors()
    finally:
        fake.stop()
