"""Socket Mode: slack_bolt's SocketModeHandler (slack_sdk's builtin client) connected to the fake's /link.

One connection serves the whole module: the builtin client needs about a second to close (its message queue
polls with a 1 s timeout), so each test starts from `fake.last_seq` instead of from a fresh fake.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from tests.fake_slack.conftest import ALICE, BOB, seed_people
from tests.fake_slack.demo_app import APPROVER, build_bolt_app
from tests.support.fake_slack import FakeSlack
from tests.support.slack_sim import SlackSim


@pytest.fixture(scope="module")
def connected() -> Iterator[tuple[FakeSlack, SocketModeHandler]]:
    fake = FakeSlack.start()
    seed_people(fake)
    handler = SocketModeHandler(build_bolt_app(fake), app_token=fake.app_token)
    handler.connect()
    fake.socket_link.wait_connected()
    try:
        yield fake, handler
        fake.assert_no_unexpected_errors()
    finally:
        handler.client.auto_reconnect_enabled = False  # the app is going away: it must not dial back
        fake.socket_link.close_all()  # Slack's close frame wakes the client's blocking receive at once
        fake.wait_until(lambda: not handler.client.is_connected(), what="client saw the close")
        handler.close()
        fake.stop()


@pytest.fixture
def fake(connected) -> FakeSlack:
    return connected[0]


@pytest.fixture
def sim(fake) -> SlackSim:
    return SlackSim.over_socket_mode(fake)


def test_the_client_connects_with_the_app_token_through_apps_connections_open(fake):
    opened = fake.calls("apps.connections.open")
    assert opened and opened[0].ok
    assert opened[0].response["url"].startswith(fake.url.replace("http://", "ws://") + "/link?ticket=")


def test_slash_command_ack_comes_back_as_the_envelope_payload(sim, fake):
    since = fake.last_seq
    ack = sim.slash(ALICE, "/access", "github")
    assert ack.status == 200 and ack.json == {"text": "Opening the request form…"}
    fake.wait_for_call("views.open", ok=True, after=since)
    assert fake.modal_stack(ALICE)[-1].blocks[0]["element"]["initial_option"]["value"] == "github"


def test_submission_errors_suggestions_and_clicks_round_trip_over_the_socket(sim, fake):
    since = fake.last_seq
    sim.slash(ALICE, "/access")
    fake.wait_for_call("views.open", ok=True, after=since)
    view_id = fake.modal_stack(ALICE)[-1].id
    assert [o["value"] for o in sim.suggest(ALICE, view_id, "app_picker", "aws")] == ["aws-prod"]
    refused = sim.submit(ALICE, view_id, {"app": "aws-prod", "reason": "short"})
    assert refused.errors == {"reason": "Say a little more (10 characters at least)."}
    assert sim.submit(ALICE, view_id, {"app": "aws-prod", "reason": "incident INC-42 follow-up"}).top is None
    fake.wait_for_call("chat.postMessage", ok=True, after=since)
    card = fake.dm(APPROVER)[-1]
    sim.click(APPROVER, on=card.ref, action_id="approve")
    fake.wait_for_call("chat.update", ok=True, after=since, ts=card.ts)
    fake.wait_for_call("response_url", ok=True, after=since)
    assert fake.ephemerals(APPROVER)[-1].text == "Recorded your approval."


def test_events_are_acked_and_retries_reach_the_app(sim, fake):
    before = fake.count("views.publish", user_id=BOB)
    first = sim.event({"type": "app_home_opened", "user": BOB, "channel": fake.dm_channel(BOB), "tab": "home"})
    assert first.ack.status == 200 and first.ack.body is None  # events_api acks carry no payload
    sim.redeliver(first, retry_num=2, retry_reason="timeout")
    fake.wait_until(lambda: fake.count("views.publish", user_id=BOB) == before + 2, what="two publishes")


def test_a_disconnect_request_makes_the_client_reconnect_with_a_fresh_url(sim, fake):
    opened_before, connects_before = fake.count("apps.connections.open"), fake.socket_link.connects
    fake.socket_link.ask_to_reconnect()
    # Once the new connection is up the fake closes the old one, as Slack does after `disconnect`.
    fake.wait_until(lambda: fake.socket_link.connects == connects_before + 1
                    and fake.socket_link.open_connections == 1, what="a new connection, the old one gone", timeout=5)
    assert fake.count("apps.connections.open") == opened_before + 1
    assert sim.slash(ALICE, "/access").status == 200  # envelopes flow over the new connection
