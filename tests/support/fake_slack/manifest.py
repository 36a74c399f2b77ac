"""The parts of manifest.yml that decide what Slack lets the app do and what Slack sends it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class SlashCommand:
    command: str
    should_escape: bool
    usage_hint: str = ""


@dataclass(frozen=True)
class AppManifest:
    bot_scopes: frozenset[str]
    commands: dict[str, SlashCommand]
    shortcuts: dict[str, str]  # callback_id → "global" or "message"
    bot_events: frozenset[str]
    home_tab_enabled: bool
    messages_tab_enabled: bool
    interactivity_enabled: bool
    options_url: str | None
    socket_mode_enabled: bool
    bot_display_name: str

    @classmethod
    def load(cls, path: str | Path) -> AppManifest:
        raw = yaml.safe_load(Path(path).read_text()) or {}
        features = raw.get("features") or {}
        settings = raw.get("settings") or {}
        app_home = features.get("app_home") or {}
        interactivity = settings.get("interactivity") or {}
        events = settings.get("event_subscriptions") or {}
        commands = {
            entry["command"]: SlashCommand(entry["command"], bool(entry.get("should_escape", False)),
                                           entry.get("usage_hint", ""))
            for entry in features.get("slash_commands") or []
        }
        return cls(
            bot_scopes=frozenset(((raw.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []),
            commands=commands,
            shortcuts={entry["callback_id"]: entry.get("type", "global") for entry in features.get("shortcuts") or []},
            bot_events=frozenset(events.get("bot_events") or []),
            home_tab_enabled=bool(app_home.get("home_tab_enabled", False)),
            messages_tab_enabled=bool(app_home.get("messages_tab_enabled", False)),
            interactivity_enabled=bool(interactivity.get("is_enabled", False)),
            options_url=interactivity.get("message_menu_options_url"),
            socket_mode_enabled=bool(settings.get("socket_mode_enabled", False)),
            bot_display_name=(features.get("bot_user") or {}).get("display_name", "bot"),
        )
