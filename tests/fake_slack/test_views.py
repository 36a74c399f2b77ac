"""views.*: trigger lifetime and single use, hash conflicts, the 3-view stack, Home view rules."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack.conftest import ALICE
from tests.support.fake_slack import FakeSlack

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Request"},
         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Loading…"}}]}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}]}


@pytest.fixture
def fake(clocked_fake: FakeSlack) -> FakeSlack:
    return clocked_fake


@pytest.fixture
def client(fake) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def error_of(call, **kwargs) -> str:
    with pytest.raises(SlackApiError) as caught:
        call(**kwargs)
    return caught.value.response["error"]


def test_a_trigger_works_once_within_three_seconds(fake, client, clock):
    trigger = fake.issue_trigger(ALICE)
    clock.advance(seconds=2.9)
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["root_view_id"] == opened["id"] and fake.modal_stack(ALICE)[0].id == opened["id"]
    assert error_of(client.views_open, trigger_id=trigger, view=MODAL) == "exchanged_trigger_id"
    late = fake.issue_trigger(ALICE)
    clock.advance(seconds=3.1)
    assert error_of(client.views_open, trigger_id=late, view=MODAL) == "expired_trigger_id"
    assert error_of(client.views_open, trigger_id="1.2.deadbeef", view=MODAL) == "invalid_trigger_id"
    assert len(fake.modal_stack(ALICE)) == 1


def test_an_invalid_view_does_not_burn_the_trigger(fake, client):
    trigger = fake.issue_trigger(ALICE)
    broken = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=broken)
    assert caught.value.response["error"] == "invalid_arguments"
    assert "[json-pointer:/view]" in caught.value.response["response_metadata"]["messages"][0]
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def test_update_with_a_stale_hash_is_a_conflict(fake, client):
    view = client.views_open(trigger_id=fake.issue_trigger(ALICE), view=MODAL)["view"]
    ready = {**MODAL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Ready"}}]}
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=ready)["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    assert error_of(client.views_update, view_id=view["id"], hash=view["hash"], view=MODAL) == "hash_conflict"
    assert "Ready" in fake.view(view["id"]).visible_text
    assert error_of(client.views_update, view_id="V0MISSING1", view=MODAL) == "not_found"


def test_the_stack_holds_a_root_and_two_pushes(fake, client):
    root = client.views_open(trigger_id=fake.issue_trigger(ALICE), view=MODAL)["view"]
    for _ in range(2):
        pushed = client.views_push(trigger_id=fake.issue_trigger(ALICE, root["id"]), view=MODAL)["view"]
        assert pushed["root_view_id"] == root["id"]
    assert error_of(client.views_push, trigger_id=fake.issue_trigger(ALICE), view=MODAL) == "push_limit_reached"
    assert len(fake.modal_stack(ALICE)) == 3


def test_home_views_publish_with_hash_and_refuse_modal_buttons(fake, client):
    first = client.views_publish(user_id=ALICE, view=HOME)["view"]
    again = client.views_publish(user_id=ALICE, view=HOME, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and fake.home(ALICE).hash == again["hash"]
    assert error_of(client.views_publish, user_id=ALICE, view=HOME, hash=first["hash"]) == "hash_conflict"
    with_submit = {**HOME, "submit": {"type": "plain_text", "text": "Send"}}
    assert error_of(client.views_publish, user_id=ALICE, view=with_submit) == "invalid_arguments"
    assert error_of(client.views_publish, user_id=ALICE, view=MODAL) == "invalid_arguments"


def test_home_hash_is_optional_but_a_stale_one_is_a_conflict_and_every_publish_gets_a_new_one(fake, client):
    assert error_of(client.views_publish, user_id=ALICE, view=HOME, hash="1.deadbeef") == "hash_conflict"
    assert fake.home(ALICE) is None  # nothing published: there was no view for that hash to match
    first = client.views_publish(user_id=ALICE, view=HOME)["view"]
    second = client.views_publish(user_id=ALICE, view=HOME)["view"]  # no hash: always taken
    assert first["hash"] != second["hash"] and fake.home(ALICE).hash == second["hash"]
    newer = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Newer"}}]}
    assert error_of(client.views_publish, user_id=ALICE, view=newer, hash=first["hash"]) == "hash_conflict"
    assert "Welcome" in fake.home(ALICE).visible_text and fake.home(ALICE).hash == second["hash"]
    third = client.views_publish(user_id=ALICE, view=newer, hash=second["hash"])["view"]
    assert third["hash"] not in (first["hash"], second["hash"]) and "Newer" in fake.home(ALICE).visible_text


def test_a_view_over_250_kb_is_too_large(fake, client):
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    assert error_of(client.views_publish, user_id=ALICE, view={"type": "home", "blocks": [section] * 90}) == \
        "view_too_large"
    assert fake.home(ALICE) is None
