"""`accessbot serve`: the bot with Slack over HTTP (Slack calls /slack/events) or over Socket Mode
(the bot dials out; no public URL), plus health, metrics and the admin API over HTTP."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bot.settings import Settings

HOW_TO_GET = {
    "SLACK_BOT_TOKEN": "api.slack.com/apps → your app → OAuth & Permissions → Bot User OAuth Token (xoxb-…); "
                       "install the app to the workspace first",
    "SLACK_SIGNING_SECRET": "api.slack.com/apps → your app → Basic Information → App Credentials → Signing Secret",
    "SLACK_APP_TOKEN": "api.slack.com/apps → your app → Basic Information → App-Level Tokens → Generate, with the "
                       "connections:write scope (xapp-…); also turn on Socket Mode",
}
PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}


class SetupError(Exception):
    """Something the operator must fix before the bot can start; the message says what and how."""


def slack_problems(settings: Settings, *, socket_mode: bool) -> list[str]:
    needed = {"SLACK_BOT_TOKEN": settings.slack_bot_token}
    if socket_mode:
        needed["SLACK_APP_TOKEN"] = settings.slack_app_token
    else:
        needed["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    problems = []
    for name, value in needed.items():
        if value is None or not value.get_secret_value().strip():
            problems.append(f"{name} is not set. Get it at {HOW_TO_GET[name]}.")
        elif name in PREFIXES and not value.get_secret_value().startswith(PREFIXES[name]):
            problems.append(f"{name} does not look right (it should start with {PREFIXES[name]}). "
                            f"Get it at {HOW_TO_GET[name]}.")
    return problems


def build_server(settings: Settings, *, socket_mode: bool, slack: bool = True, deps=None):
    """The FastAPI app with Slack wired in; raises SetupError with a readable reason."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.http.app import create_app
    from bot.slack.endpoint import slack_plugin, socket_mode_plugin

    if slack:
        problems = slack_problems(settings, socket_mode=socket_mode)
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
    deps = deps or _deps(settings)
    plugins = [socket_mode_plugin if socket_mode else slack_plugin] if slack else []
    try:
        return create_app(settings, deps=deps, plugins=plugins)
    except (BoltError, SlackApiError) as error:
        deps.close()
        reason = error.response.get("error") if isinstance(error, SlackApiError) else str(error)
        raise SetupError(f"Slack refused to start the app: {reason}. Check SLACK_BOT_TOKEN (and SLACK_API_URL "
                         f"{settings.slack_api_url}).") from None


def _deps(settings: Settings):
    from bot.deps import build_deps
    from policies import PolicyLoadError

    try:
        return build_deps(settings)
    except PolicyLoadError as error:
        raise SetupError(f"The catalog does not load:\n{error}") from None


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: settings host]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: settings port]")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="Connect to Slack over Socket Mode "
                                              "(needs SLACK_APP_TOKEN, no public URL)")] = False,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Admin API, health and metrics only")] = False,
) -> None:
    """Run accessbot."""
    import uvicorn

    settings = Settings()
    problems = [] if no_slack else slack_problems(settings, socket_mode=socket_mode)
    try:
        if problems:
            raise SetupError("Slack is not configured:\n  - " + "\n  - ".join(problems))
        logging.basicConfig(level=settings.log_level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        app = build_server(settings, socket_mode=socket_mode, slack=not no_slack)
    except SetupError as error:
        typer.echo(f"Cannot start accessbot. {error}", err=True)
        raise typer.Exit(2) from None
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level=settings.log_level.lower(),
                access_log=False)
