"""The HTTP service: FastAPI with the Slack endpoint, health, metrics, the admin API and inbound
hooks. Built by create_app(settings); nothing is module-global, so tests build their own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from bot.deps import Deps, build_deps
from bot.domain.errors import DomainError
from bot.http import admin, health, reviews, usage
from bot.http.errors import domain_error_handler, validation_error_handler
from bot.http.metrics import Metrics
from bot.http.middleware import BearerGuardMiddleware, RequestIdMiddleware, metrics_token
from bot.settings import Settings
from bot.usage.metrics import UsageCollector

log = logging.getLogger(__name__)

# Front ends that plug themselves in (Slack, timers, hooks...): each gets the app and the deps at
# build time and may return a shutdown callable. Registered in one place so the order is visible.
Plugin = Callable[[FastAPI, Deps], Callable[[], None] | None]


def default_plugins(settings: Settings) -> list[Plugin]:
    from bot.http.hooks import hooks_plugin
    from bot.http.scim import scim_plugin
    from bot.timers.plugin import timers_plugin

    plugins: list[Plugin] = [hooks_plugin, scim_plugin]
    if settings.slack_bot_token is not None and settings.slack_signing_secret is not None:
        from bot.slack.endpoint import slack_plugin  # only with Slack configured: Bolt calls auth.test

        plugins.append(slack_plugin)
    plugins.append(timers_plugin)  # last: its first sweep may already notify through Slack
    return plugins


def create_app(settings: Settings | None = None, *, deps: Deps | None = None,
               plugins: list[Plugin] | None = None) -> FastAPI:
    settings = settings or Settings()
    deps = deps or build_deps(settings)
    stops: list[Callable[[], None]] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        for stop in reversed(stops):
            stop()
        deps.close()

    app = FastAPI(title="accessbot", version="0.1.0", lifespan=lifespan, description=API_DESCRIPTION)
    app.state.deps = deps
    app.state.settings = settings
    app.state.metrics = metrics = Metrics(deps.store)
    stops.append(metrics.watch(deps.runner))
    metrics.registry.register(UsageCollector(deps))
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.include_router(health.router)
    app.include_router(admin.router, prefix="/api/v1")
    app.include_router(reviews.router, prefix="/api/v1")
    app.include_router(usage.router, prefix="/api/v1")
    for plugin in plugins if plugins is not None else default_plugins(settings):
        stop = plugin(app, deps)
        if stop is not None:
            stops.append(stop)
    if token := metrics_token(settings):
        app.add_middleware(BearerGuardMiddleware, token=token)
    app.add_middleware(RequestIdMiddleware)  # outermost: even a refused request has an id
    return app


API_DESCRIPTION = """Slack ChatOps for just-in-time access. The admin API (`/api/v1`) runs the same
operations as Slack and the CLI; it wants `Authorization: Bearer <ACCESSBOT_ADMIN_API_TOKEN>`.
Refusals are RFC 9457 problem documents with a stable `code`. See docs/api.md."""
