from __future__ import annotations

import pytest

from tests.timers.support import make_deps


@pytest.fixture
def deps(world):
    built = make_deps(world, "replica-a")
    yield built
    built.executor.shutdown(wait=True)


@pytest.fixture
def timers(deps):
    from bot.timers.service import TimerService

    return TimerService(deps)
