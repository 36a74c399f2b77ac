"""`accessbot manifest --url https://HOST`: the Slack app manifest for this deployment, ready to paste
into api.slack.com/apps → Create New App → From a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import typer
import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
PLACEHOLDER = "https://accessbot.example.com"
EVENTS_PATH = "/slack/events"


class ManifestError(ValueError):
    pass


def render_manifest(url: str | None, *, socket_mode: bool = False, source: Path = MANIFEST) -> str:
    text = source.read_text()
    if socket_mode:
        return _socket_mode(yaml.safe_load(text))
    if url is None:
        raise ManifestError("Give the public HTTPS address Slack should call, e.g. --url https://access.example.com "
                            "(or use --socket-mode, which needs no public address).")
    base = _base_url(url)
    return text.replace(PLACEHOLDER, base)


def _base_url(url: str) -> str:
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise ManifestError(f"{url!r} is not an https:// address; Slack only calls HTTPS request URLs.")
    if parsed.query or parsed.fragment:
        raise ManifestError(f"{url!r} has a query or fragment; give the base address only.")
    path = parsed.path.rstrip("/")
    if path.endswith(EVENTS_PATH):
        path = path[: -len(EVENTS_PATH)]
    return f"https://{parsed.netloc}{path}"


def _socket_mode(manifest: dict) -> str:
    """Socket Mode: Slack sends everything over the app's WebSocket, so no request URL may be set."""
    for command in manifest["features"].get("slash_commands", []):
        command.pop("url", None)
    settings = manifest["settings"]
    settings["event_subscriptions"].pop("request_url", None)
    settings["interactivity"].pop("request_url", None)
    settings["interactivity"].pop("message_menu_options_url", None)
    settings["socket_mode_enabled"] = True
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)


def manifest(
    url: Annotated[str | None, typer.Option(help="Public HTTPS base address of this deployment")] = None,
    socket_mode: Annotated[bool, typer.Option("--socket-mode", help="No public URL; the app connects out")] = False,
) -> None:
    """Print the Slack app manifest with this deployment's URLs."""
    try:
        typer.echo(render_manifest(url, socket_mode=socket_mode), nl=False)
    except ManifestError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
