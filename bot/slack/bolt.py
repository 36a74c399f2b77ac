"""The Bolt app, built once per process from settings: a WebClient pointed at settings.slack_api_url
with rate-limit and server-error retries, a sized listener executor, global middleware, the error
handler and every listener. No module globals: tests and replicas each build their own."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.settings import Settings
from bot.slack import listeners, middleware
from bot.slack.env import SlackEnv
from bot.slack.errors import on_unexpected_error
from bot.slack.home import HomePublisher
from bot.slack.identity import Identity
from bot.slack.work_pool import WorkPool

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                       timeout=15)
    # A 429 sleeps Retry-After in the calling thread: fine after the ack, which is where we call Slack.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    return client


def build_bolt_app(settings: Settings, deps, env: SlackEnv | None = None) -> App:
    """Calls auth.test on the configured Slack (fails fast on a bad token)."""
    client = slack_client(settings)
    if env is None:
        env = SlackEnv(deps, Identity(deps.store, deps.clock), HomePublisher(deps, client))
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        name="accessbot", client=client, signing_secret=secret, process_before_response=False,
        listener_executor=WorkPool(max_workers=settings.slack_listener_threads, thread_name_prefix="accessbot-slack"),
        raise_error_for_unhandled_request=False, logger=logging.getLogger("accessbot.slack.bolt"),
    )
    app.use(middleware.provide(env))
    app.use(middleware.drop_redeliveries)
    app.use(middleware.resolve_actor)
    app.error(on_unexpected_error)
    listeners.register(app)
    return app
