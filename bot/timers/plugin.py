"""Plug the timers into the HTTP app: ``create_app(..., plugins=[timers_plugin])``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from bot.deps import Deps
from bot.timers.service import TimerService
from bot.usage.collect import schedule_collections


def timers_plugin(app: FastAPI, deps: Deps) -> Callable[[], None]:
    schedule_collections(deps)  # the single-process roles, as bot.worker does for the worker
    service = TimerService(deps)
    service.start()
    app.state.timers = service
    return service.stop
