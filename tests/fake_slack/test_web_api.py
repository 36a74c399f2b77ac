"""The fake Web API through a real slack_sdk WebClient: shapes, scopes, errors, state."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack.conftest import ALICE, BOB, CAROL, seed_people
from tests.support.fake_slack import BOT_USER_ID, DEFAULT_MANIFEST, FakeSlack

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "Request *42*"}},
        {"type": "actions", "elements": [{"type": "button", "action_id": "approve",
                                          "text": {"type": "plain_text", "text": "Approve"}}]}]


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def slack_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def manifest_without(tmp_path: Path, *scopes: str) -> Path:
    manifest = yaml.safe_load(DEFAULT_MANIFEST.read_text())
    manifest["oauth_config"]["scopes"]["bot"] = [s for s in manifest["oauth_config"]["scopes"]["bot"]
                                                 if s not in scopes]
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def test_auth_test_answers_for_the_bot_token_only(fake, client):
    answer = client.auth_test()
    assert answer["user_id"] == BOT_USER_ID and answer["team_id"] == "T0FAKETEAM"
    assert "chat:write" in answer.headers["x-oauth-scopes"]
    fake.expect_error("auth.test", "invalid_auth")
    fake.expect_error("auth.test", "not_authed")
    assert slack_error(WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test).response["error"] == \
        "invalid_auth"
    assert slack_error(WebClient(base_url=fake.api_url).auth_test).response["error"] == "not_authed"


def test_a_scope_missing_from_the_manifest_answers_missing_scope(tmp_path):
    with FakeSlack.start(manifest_without(tmp_path, "users:read.email")) as fake:
        seed_people(fake)
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        error = slack_error(client.users_lookupByEmail, email="alice@example.com").response
        assert error["error"] == "missing_scope" and error["needed"] == "users:read.email"
        assert "users:read.email" not in error["provided"].split(",")
        profile = client.users_info(user=ALICE)["user"]["profile"]
        assert "email" not in profile  # users:read alone hides the email


def test_posting_to_a_channel_the_bot_is_not_in_needs_chat_write_public(tmp_path):
    with FakeSlack.start(manifest_without(tmp_path, "chat:write.public")) as fake:
        seed_people(fake)
        fake.add_channel("C0OUTSIDE1", "general", [ALICE], bot_is_member=False)
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        assert slack_error(client.chat_postMessage, channel="C0OUTSIDE1", text="hi").response["error"] == \
            "not_in_channel"


def test_post_message_to_a_user_id_lands_in_the_stable_dm(fake, client):
    posted = client.chat_postMessage(channel=ALICE, text="Request 42", blocks=CARD)
    opened = client.conversations_open(users=ALICE)
    assert posted["channel"] == opened["channel"]["id"] and opened["already_open"] is True
    assert client.conversations_open(users=ALICE)["channel"]["id"] == posted["channel"]
    assert posted["message"]["blocks"][0]["block_id"]  # Slack fills in missing block ids
    assert [m.text for m in fake.dm(ALICE)] == ["Request 42"]
    assert fake.calls("chat.postMessage", channel=ALICE)[0].ok


def test_invalid_blocks_and_missing_text_are_refused(fake, client):
    fake.expect_error("chat.postMessage", "invalid_blocks")
    fake.expect_error("chat.postMessage", "no_text")
    error = slack_error(client.chat_postMessage, channel=ALICE, text="x", blocks=[CARD[0]] * 51).response
    assert error["error"] == "invalid_blocks" and "[json-pointer:/blocks]" in error["response_metadata"]["messages"][0]
    assert slack_error(client.chat_postMessage, channel=ALICE, text="").response["error"] == "no_text"
    assert fake.dm(ALICE) == []


def test_blocks_without_fallback_text_are_posted_but_flagged(fake, client):
    client.chat_postMessage(channel=ALICE, blocks=CARD)
    assert fake.warnings and fake.warnings[0][0] == "chat.postMessage"
    with pytest.raises(AssertionError, match="top-level text"):
        fake.assert_no_unexpected_errors()
    assert len(fake.accept_warnings()) == 1  # provoked on purpose


def test_chat_update_rewrites_only_messages_the_bot_posted(fake, client):
    posted = client.chat_postMessage(channel=ALICE, text="pending", blocks=CARD)
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="approved")
    assert updated["message"]["blocks"] == posted["message"]["blocks"]  # blocks left out are kept
    assert fake.message(posted["channel"], posted["ts"]).revisions == 1
    fake.expect_error("chat.update", "message_not_found")
    error = slack_error(client.chat_update, channel=posted["channel"], ts="1700000000.000001", text="x")
    assert error.response["error"] == "message_not_found"


def test_ephemerals_need_a_member_and_never_become_messages(fake, client):
    answer = client.chat_postEphemeral(channel="C0APPROVAL", user=BOB, text="Only you")
    assert answer["message_ts"] and [e.text for e in fake.ephemerals(BOB)] == ["Only you"]
    assert fake.messages_in("C0APPROVAL") == []
    fake.expect_error("chat.postEphemeral", "user_not_in_channel")
    fake.expect_error("chat.update", "message_not_found")
    assert slack_error(client.chat_postEphemeral, channel="C0APPROVAL", user=ALICE,
                       text="x").response["error"] == "user_not_in_channel"
    assert slack_error(client.chat_update, channel="C0APPROVAL", ts=answer["message_ts"],
                       text="x").response["error"] == "message_not_found"


def test_users_info_and_lookup_by_email(fake, client):
    user = client.users_info(user=BOB)["user"]
    assert user["profile"]["email"] == "bob@example.com" and user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-18000, -14400) and user["is_email_confirmed"] is True
    assert client.users_lookupByEmail(email="Carol@Example.com")["user"]["id"] == CAROL
    fake.deactivate_user(CAROL)
    fake.expect_error("users.lookupByEmail", "users_not_found")
    fake.expect_error("users.info", "user_not_found")
    assert slack_error(client.users_lookupByEmail, email="carol@example.com").response["error"] == "users_not_found"
    assert slack_error(client.users_info, user="U0NOBODY01").response["error"] == "user_not_found"
    assert client.users_info(user=CAROL)["user"]["deleted"] is True


def test_usergroup_updates_replace_the_whole_list_and_emptying_fails_but_applies(fake, client):
    fake.add_usergroup("S0ONCALL01", "oncall", [ALICE])
    client.usergroups_users_update(usergroup="S0ONCALL01", users=[BOB, CAROL])
    assert client.usergroups_users_list(usergroup="S0ONCALL01")["users"] == [BOB, CAROL]
    fake.expect_error("usergroups.users.update", "invalid_users")
    fake.expect_error("usergroups.users.update", "invalid_user")
    assert slack_error(client.usergroups_users_update, usergroup="S0ONCALL01",
                       users=BOT_USER_ID).response["error"] == "invalid_user"
    assert slack_error(client.usergroups_users_update, usergroup="S0ONCALL01",
                       users="").response["error"] == "invalid_users"
    assert fake.usergroup_members("S0ONCALL01") == []  # observed in production: emptied despite the error
    listed = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["handle"], g["users"]) for g in listed] == [("oncall", [])]


def test_get_query_form_and_json_requests_are_all_understood(fake):
    auth = {"Authorization": f"Bearer {fake.bot_token}"}
    with httpx.Client(base_url=fake.api_url, headers=auth) as http:
        by_query = http.get("users.info", params={"user": ALICE}).json()
        by_form = http.post("users.info", data={"user": ALICE}).json()
        by_json = http.post("chat.postMessage", json={"channel": ALICE, "text": "hi"}).json()
        blocks_as_string = http.post("chat.postMessage", data={"channel": ALICE, "text": "x",
                                                               "blocks": '[{"type": "divider"}]'}).json()
    assert by_query["user"]["id"] == by_form["user"]["id"] == ALICE
    assert by_json["ok"] and blocks_as_string["message"]["blocks"][0]["type"] == "divider"


def test_unexpected_errors_fail_the_check_and_declared_ones_do_not(fake, client):
    slack_error(client.users_info, user="U0NOBODY01")
    with pytest.raises(AssertionError, match="users.info -> user_not_found"):
        fake.assert_no_unexpected_errors()
    fake.expect_error("users.info", "user_not_found")
    fake.assert_no_unexpected_errors()


def test_blocks_validate_reports_pointers_in_slacks_shape(fake):
    auth = {"Authorization": f"Bearer {fake.bot_token}"}
    with httpx.Client(base_url=fake.api_url, headers=auth) as http:
        assert http.post("blocks.validate", json={"blocks": CARD}).json() == {"ok": True}
        refused = http.post("blocks.validate", json={"view": {"type": "home", "blocks": [{"type": "sectoin"}]}})
    fake.expect_error("blocks.validate", "invalid_view")
    body = refused.json()
    assert body["error"] == "invalid_view"
    assert body["errors"][0] | {"message": "m"} == {"pointer": "/view/blocks/0/type", "code": "invalid",
                                                   "message": "m", "constraint": None}
