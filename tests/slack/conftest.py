from __future__ import annotations

import pytest

from tests.slack.harness import running_bot


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path) as slack_world:
        yield slack_world
