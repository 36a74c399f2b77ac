"""Plug the timers into the HTTP app: ``create_app(..., plugins=[timers_plugin])``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from bot.deps import Deps
from bot.ledger import registry
from bot.timers.service import TimerService


def timers_plugin(app: FastAPI, deps: Deps) -> Callable[[], None]:
    registry.timers_starting(deps)  # the single-process roles, as bot.worker does for the worker
    service = TimerService(deps)
    service.start()
    app.state.timers = service
    return service.stop
