"""manifest.yml and the code agree; `accessbot manifest` and `accessbot serve` explain themselves."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.cli.serve import SetupError, build_server
from bot.deps import Deps
from bot.settings import Settings
from bot.slack.ids import Command, Event, Shortcut
from bot.slack.notify import Handlers
from bot.slack.notices import register
from connectors.registry import ConnectorSet
from tests.slack.harness import ALICE, DANA, SECRET, running_bot
from tests.slack.test_decisions import submit_via_form
from tests.support.fake_slack import DEFAULT_MANIFEST, FakeSlack
from tests.support.fake_slack.manifest import AppManifest

runner = CliRunner()


def test_every_id_the_code_answers_is_declared_in_the_manifest_and_back():
    manifest = AppManifest.load(DEFAULT_MANIFEST)
    assert set(manifest.commands) == {c.value for c in Command}
    assert set(manifest.shortcuts) == {s.value for s in Shortcut}
    assert manifest.bot_events == {e.value for e in Event}


def registered(bolt, kind: str, variable: str) -> set[str]:
    """What the app's listeners match on, read from Bolt's built-in matchers (pinned slack_bolt 1.30)."""
    found = set()
    for listener in bolt._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            code = getattr(func, "__code__", None)
            if code and func.__qualname__.split(".")[0] in kind.split("|") and variable in code.co_freevars:
                found.add(str(func.__closure__[code.co_freevars.index(variable)].cell_contents))
    return found


def test_the_listeners_registered_are_exactly_what_the_manifest_declares(bot):
    manifest = AppManifest.load(DEFAULT_MANIFEST)
    bolt = bot.runtime.bolt
    assert registered(bolt, "command", "command") == set(manifest.commands)
    assert registered(bolt, "event", "event_type") == set(manifest.bot_events)
    assert registered(bolt, "shortcut|global_shortcut", "callback_id") == set(manifest.shortcuts)


def test_every_declared_command_shortcut_and_event_is_answered_and_nothing_else(bot):
    for command in AppManifest.load(DEFAULT_MANIFEST).commands:
        assert bot.sim.slash(ALICE, command, "help").status == 200
    assert bot.sim.shortcut(ALICE, "request_access").status == 200
    assert bot.sim.event({"type": "app_home_opened", "user": ALICE, "channel": bot.fake.dm_channel(ALICE),
                          "tab": "messages"}).ack.status == 200
    unknown = "command=%2Fnot-ours&text=&user_id=U0ALICE001&team_id=T0FAKETEAM&trigger_id=1.2&channel_id=D1"
    assert bot.sim.signed_request(unknown, "application/x-www-form-urlencoded").status == 404
    bot.fake.wait_until(lambda: bot.fake.modal_stack(ALICE), what="the shortcut's form")


def test_the_fake_enforces_the_manifest_scopes_so_a_missing_one_shows_up(store, clock, tmp_path):
    scopes = AppManifest.load(DEFAULT_MANIFEST).bot_scopes - {"im:write"}
    with FakeSlack.start(scopes=scopes) as fake:
        from tests.slack.harness import seed_slack_users

        seed_slack_users(fake)
        with running_bot(store, clock, tmp_path, fake=fake) as bot:
            submit_via_form(bot, ALICE, "wiki editor", {})
            fake.wait_for_call("conversations.open", error="missing_scope")
            assert bot.fake.dm(DANA) == [] and bot.undispatched() > 0  # kept for a retry, not lost


def test_every_outbox_event_the_slack_surfaces_promise_has_a_handler():
    handled = register(Handlers()).types
    promised = {"request.submitted", "request.step_approved", "request.step_denied", "request.step_activated",
                "request.approved", "request.denied", "request.cancelled", "request.superseded", "request.timed_out",
                "grant.activated", "grant.extended", "grant.expired", "grant.revoked", "grant.failed",
                "grant.revoke_failed", "grant.cancelled"}
    assert promised <= handled


def test_manifest_command_renders_the_deployment_url_everywhere():
    result = runner.invoke(cli, ["manifest", "--url", "https://access.acme.dev/"])
    assert result.exit_code == 0
    rendered = yaml.safe_load(result.output)
    urls = [c["url"] for c in rendered["features"]["slash_commands"]]
    urls += [rendered["settings"]["event_subscriptions"]["request_url"],
             rendered["settings"]["interactivity"]["request_url"],
             rendered["settings"]["interactivity"]["message_menu_options_url"]]
    assert set(urls) == {"https://access.acme.dev/slack/events"}
    socket = yaml.safe_load(runner.invoke(cli, ["manifest", "--socket-mode"]).output)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["interactivity"]
    refused = runner.invoke(cli, ["manifest", "--url", "http://access.acme.dev"])
    assert refused.exit_code == 2 and "https://" in refused.output


def test_serve_without_slack_settings_says_what_is_missing_and_where_to_get_it(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ACCESSBOT_SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "SLACK_BOT_TOKEN is not set" in result.output and "OAuth & Permissions" in result.output
    assert "SLACK_SIGNING_SECRET" not in result.output
    socket = runner.invoke(cli, ["serve", "--socket-mode"])
    assert "SLACK_APP_TOKEN is not set" in socket.output and "connections:write" in socket.output
    worker = runner.invoke(cli, ["serve", "--role", "worker"])  # it sends Slack messages: it needs the bot token
    assert worker.exit_code == 2 and "SLACK_BOT_TOKEN is not set" in worker.output


def test_serve_with_a_token_slack_refuses_explains_it(store, clock, tmp_path):
    with FakeSlack.start() as fake:
        fake.expect_error("auth.test", "invalid_auth")
        settings = Settings(slack_api_url=fake.api_url, slack_bot_token="xoxb-wrong", slack_signing_secret=SECRET)
        deps = Deps(settings, store, None, ConnectorSet(), clock)
        try:
            build_server(settings, socket_mode=False, deps=deps)
        except SetupError as error:
            assert "invalid_auth" in str(error) and "SLACK_BOT_TOKEN" in str(error)
        else:
            raise AssertionError("a refused token must stop the start")
