"""Every endpoint stays shut with its secret unset, empty or wrong; a rotated HR secret overlaps."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.http.app import create_app
from bot.http.hooks import hooks_plugin, sign
from bot.http.scim import scim_plugin
from bot.settings import Settings
from bot.store.models import AccessRequest, LifecycleEvent, Person
from tests.support.deps import close, deps_for

GOOD = "a-long-enough-shared-secret-0123"
NEW, OLD = "the-new-hr-secret-after-rotation", "the-old-hr-secret-before-rotation"
JOINER = {"event_id": "wd-77", "type": "joiner", "occurred_at": "2026-11-02T08:00:00Z",
          "person": {"email": "nina@acme.test", "name": "Nina"}}
SCIM_USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "eve@acme.test",
             "emails": [{"value": "eve@acme.test", "primary": True}]}
API_REQUEST = {"requester": "alice@acme.test", "entitlement": "wiki:editor", "justification": "x"}


@pytest.fixture
def served(world):
    """``served(**settings)``: a client of the real app over this world with those settings."""
    made = []

    def build(**settings):
        deps = deps_for(world, **settings)
        made.append(deps)
        return deps, TestClient(create_app(deps.settings, deps=deps, plugins=[hooks_plugin, scim_plugin]))

    yield build
    for deps in made:
        close(deps)


def _state(deps) -> tuple:
    with deps.store.uow() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Person, LifecycleEvent, AccessRequest))


def _joiner(event_id: str) -> dict:
    return {**JOINER, "event_id": event_id, "person": {"email": f"{event_id}@acme.test", "name": event_id}}


def _hr(client, deps, secret: str, body=JOINER):
    raw = json.dumps(body).encode()
    ts = int(deps.clock.now().timestamp())
    # With an empty key: what a sender computes when its secret is configured as "".
    signature = sign(secret, ts, raw) if secret else "v1=" + hmac.new(b"", b"v1:%d:" % ts + raw,
                                                                        hashlib.sha256).hexdigest()
    return client.post("/hooks/hr", content=raw, headers={"X-Accessbot-Timestamp": str(ts),
                                                          "X-Accessbot-Signature": signature})


@pytest.mark.parametrize("configured", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_without_a_real_secret_nothing_opens(served, configured):
    kwargs = {} if configured is None else {"hr_webhook_secret": configured, "scim_bearer_token": configured,
                                            "admin_api_token": configured, "slack_signing_secret": configured}
    deps, client = served(**kwargs)
    before = _state(deps)
    for settings_name in ("hr_webhook_secret", "scim_bearer_token", "admin_api_token", "slack_signing_secret"):
        assert getattr(deps.settings, settings_name) is None  # an empty value is no value

    assert _hr(client, deps, "").status_code == 503
    for auth in ("Bearer", "Bearer ", "Bearer  ", "bearer", ""):
        assert client.get("/scim/v2/Users", headers={"Authorization": auth}).status_code == 401
        assert client.post("/scim/v2/Users", json=SCIM_USER, headers={"Authorization": auth}).status_code == 401
        assert client.post("/api/v1/requests", json=API_REQUEST, headers={"Authorization": auth}).status_code == 401
        assert client.get("/api/v1/people/alice@acme.test/grants",
                          headers={"Authorization": auth}).status_code == 401
    assert _state(deps) == before


def test_a_wrong_secret_is_refused_everywhere(served):
    deps, client = served(hr_webhook_secret=GOOD, scim_bearer_token=GOOD, admin_api_token=GOOD)
    before = _state(deps)
    assert _hr(client, deps, GOOD[:-1] + "x").status_code == 401
    assert _hr(client, deps, "").status_code == 401
    wrong = {"Authorization": f"Bearer {GOOD}x"}
    assert client.post("/scim/v2/Users", json=SCIM_USER, headers=wrong).status_code == 401
    assert client.post("/api/v1/requests", json=API_REQUEST, headers=wrong).status_code == 401
    assert client.post("/api/v1/requests", json=API_REQUEST, headers={"Authorization": "Bearer "}).status_code == 401
    assert _state(deps) == before
    right = {"Authorization": f"Bearer {GOOD}"}  # the same requests with the secret do change things
    assert client.post("/scim/v2/Users", json=SCIM_USER, headers=right).status_code == 201
    assert client.post("/api/v1/requests", json=API_REQUEST, headers=right).status_code == 201
    assert _hr(client, deps, GOOD).status_code == 202


def test_during_a_rotation_the_hr_hook_takes_either_secret_and_only_those(served):
    deps, client = served(hr_webhook_secret=NEW, hr_webhook_previous_secret=OLD)
    assert _hr(client, deps, OLD, _joiner("old")).status_code == 202
    assert _hr(client, deps, NEW, _joiner("new")).status_code == 202
    assert _hr(client, deps, GOOD, _joiner("other")).status_code == 401
    with deps.store.uow() as s:
        ids = set(s.scalars(select(LifecycleEvent.event_id)))
    assert ids == {"hr:old", "hr:new"}

    deps, client = served(hr_webhook_secret=NEW)  # rotation over: the old secret no longer opens it
    assert _hr(client, deps, OLD, _joiner("late")).status_code == 401


def test_a_sender_signing_with_both_secrets_is_accepted_by_either_side(served):
    from connectors.webhook_signature import signature_header

    for configured in (NEW, OLD):
        raw = json.dumps(_joiner(f"both-{len(configured)}")).encode()
        deps, client = served(hr_webhook_secret=configured)
        ts = int(deps.clock.now().timestamp())
        answer = client.post("/hooks/hr", content=raw, headers={
            "X-Accessbot-Timestamp": str(ts), "X-Accessbot-Signature": signature_header([NEW, OLD], ts, raw)})
        assert answer.status_code == 202


def test_too_short_secrets_stop_the_start_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("ACCESSBOT_HR_WEBHOOK_SECRET", "hunter2")
    monkeypatch.setenv("ACCESSBOT_ADMIN_API_TOKEN", "x" * 15)
    monkeypatch.setenv("ACCESSBOT_METRICS_TOKEN", "metrics")
    result = CliRunner().invoke(cli, ["serve", "--no-slack"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "ACCESSBOT_HR_WEBHOOK_SECRET is 7 characters long; use at least 16" in result.output
    assert "ACCESSBOT_ADMIN_API_TOKEN is 15 characters long" in result.output
    assert "ACCESSBOT_METRICS_TOKEN is 7 characters long" in result.output
    assert "hunter2" not in result.output


def test_blank_secrets_in_the_environment_are_unset(monkeypatch):
    for name in ("ACCESSBOT_HR_WEBHOOK_SECRET", "ACCESSBOT_SCIM_BEARER_TOKEN", "ACCESSBOT_ADMIN_API_TOKEN",
                 "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "ACCESSBOT_METRICS_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert (settings.hr_webhook_secret, settings.scim_bearer_token, settings.admin_api_token,
            settings.slack_signing_secret, settings.slack_bot_token, settings.metrics_token) == (None,) * 6
    assert settings.secret_problems() == []



def test_slack_events_are_not_served_without_a_signing_secret(world):
    from bot.http.app import default_plugins
    from bot.slack.endpoint import slack_plugin

    settings = Settings(slack_bot_token="xoxb-1", slack_signing_secret="", database_url="sqlite://")
    assert slack_plugin not in default_plugins(settings)
    deps = deps_for(world, slack_bot_token="xoxb-1", slack_signing_secret=" ")
    try:
        with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET is not set"):
            create_app(deps.settings, deps=deps, plugins=[slack_plugin])
    finally:
        close(deps)
