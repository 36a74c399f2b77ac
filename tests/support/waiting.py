"""The one way a test waits for work running elsewhere (a background drive, a worker process, a timer):
poll a condition, bounded, and fail with what was seen. The fake Slack server has its own
``wait_until``, woken by each Web API call rather than a clock (tests/support/fake_slack/queries.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], Any], *, timeout: float = 30.0, every: float = 0.02,
               between: Callable[[], Any] | None = None, what: str | Callable[[], str] = "the condition") -> Any:
    """The first truthy value of ``condition()``; ``between`` runs before each poll (e.g. the provisioning
    runner); ``what`` (text, or a function giving the state seen) names it in the AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if between is not None:
            between()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what() if callable(what) else what} not reached within {timeout} s")
        time.sleep(every)
