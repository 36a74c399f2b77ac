"""manifest.yml: the shape Slack's app manifest accepts, and what the fake and the bot rely on."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.support.fake_slack import DEFAULT_MANIFEST
from tests.support.fake_slack.auth import APP_TOKEN_SCOPES, CONDITIONAL_SCOPES, METHOD_SCOPES
from tests.support.fake_slack.manifest import AppManifest

EVENTS_URL = "https://accessbot.example.com/slack/events"
TOP_LEVEL_KEYS = {"_metadata", "display_information", "features", "oauth_config", "settings"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_MANIFEST.read_text())


def test_display_information_fits_slacks_limits(raw):
    assert set(raw) <= TOP_LEVEL_KEYS
    info = raw["display_information"]
    assert 1 <= len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", info["background_color"])
    assert raw["_metadata"] == {"major_version": 1, "minor_version": 1}


def test_commands_home_tab_and_interactivity():
    manifest = AppManifest.load(DEFAULT_MANIFEST)
    assert set(manifest.commands) == {"/access", "/offboard", "/access-admin"}
    assert manifest.commands["/access"].usage_hint and not manifest.commands["/access"].should_escape
    assert manifest.commands["/offboard"].should_escape and manifest.commands["/access-admin"].should_escape
    assert manifest.home_tab_enabled and manifest.messages_tab_enabled
    assert manifest.interactivity_enabled and manifest.options_url == EVENTS_URL
    assert manifest.bot_events == {"app_home_opened"} and not manifest.socket_mode_enabled


def test_every_url_points_at_the_single_bolt_endpoint(raw):
    urls = [c["url"] for c in raw["features"]["slash_commands"]]
    urls += [raw["settings"]["event_subscriptions"]["request_url"], raw["settings"]["interactivity"]["request_url"],
             raw["settings"]["interactivity"]["message_menu_options_url"]]
    assert set(urls) == {EVENTS_URL}
    for command in raw["features"]["slash_commands"]:
        assert len(command["description"]) <= 100 and command["command"].startswith("/")


def test_bot_scopes_cover_every_scope_the_fake_enforces():
    manifest = AppManifest.load(DEFAULT_MANIFEST)
    needed = {scope for scope in METHOD_SCOPES.values() if scope} - APP_TOKEN_SCOPES
    assert needed <= manifest.bot_scopes, needed - manifest.bot_scopes
    # users:read.email must come with users:read (Slack refuses the one without the other).
    assert "users:read" in manifest.bot_scopes and "users:read.email" in manifest.bot_scopes
    assert CONDITIONAL_SCOPES - {"mpim:write"} <= manifest.bot_scopes
