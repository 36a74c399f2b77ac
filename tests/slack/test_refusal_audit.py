"""Refusals raised before any operation runs are audited like the others (docs/ARCHITECTURE.md: every
refusal is), and a flood of them writes one event per sender, operation and reason a minute, the next
one saying how many were left out. Driven through signed Slack requests."""

from __future__ import annotations

import json

from bot.domain.enums import RequestStatus
from bot.slack.metadata import GrantRef
from tests.slack.harness import ALICE, BOB, DANA, MALLORY
from tests.slack.test_decisions import submit_via_form
from tests.slack_it.helpers import holding

FORGED_DURATION = {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "zero"},
                                                                 "value": "0m"}}


def last_ephemeral(bot, user: str, seen: int) -> str:
    return bot.fake.wait_until(lambda: bot.fake.ephemerals(user)[seen:], what=f"an answer to {user}")[-1].visible_text


def test_a_button_from_an_older_release_is_refused_and_audited(bot):
    request_id = submit_via_form(bot, ALICE, "wiki editor", {})
    card = bot.card_for(DANA, request_id)
    seen = len(bot.fake.ephemerals(DANA))
    bot.sim.click(DANA, on=card.ref, action_id="approve", button_value=json.dumps({"v": 0, "request_id": request_id}))
    assert "older version of accessbot" in last_ephemeral(bot, DANA, seen)
    bot.settle()
    [refused] = bot.audit("refused.decide")
    assert refused.actor == "dana@acme.test" and refused.detail["code"] == "stale_metadata"
    assert bot.request(request_id).status == RequestStatus.PENDING


def test_zero_and_negative_durations_are_audited_and_a_flood_is_counted_not_written(bot):
    form = bot.open_form(ALICE, "wiki editor")
    answer = bot.sim.submit(ALICE, form.id, forged={"duration": FORGED_DURATION})
    assert answer.response_action == "errors" and "zero" in answer.errors["duration"]
    [first] = bot.audit("refused.submit")
    assert first.actor == "alice@acme.test" and first.detail["code"] == "invalid_duration"
    assert "suppressed" not in first.detail

    for text in ("wiki editor 0m a reason", "wiki editor -1h a reason", "wiki editor -1h again"):
        ack = bot.sim.slash(ALICE, "/access", text)
        assert ack.status == 200 and "a duration" in ack.json["text"]
    assert len(bot.audit("refused.submit")) == 1  # the same sender, operation and reason within a minute

    bot.world.advance(seconds=61)
    bot.sim.slash(ALICE, "/access", "wiki editor -1h once more")
    later = bot.audit("refused.submit")
    assert len(later) == 2 and later[1].detail["code"] == "invalid_duration"
    assert later[1].detail["suppressed"] == 3
    assert bot.last_request_id() is None


def test_opening_extend_on_someone_elses_grant_is_refused_and_audited(bot):
    alices = holding(bot, "alice@acme.test", "github:member")
    holding(bot, "bob@acme.test", "github:member")
    bot.sim.open_home(BOB)
    bot.sim.click(BOB, on="home", action_id="extend_grant", button_value=GrantRef(grant_id=alices).dump())
    notice = bot.fake.wait_until(lambda: [v for v in bot.fake.modal_stack(BOB)
                                          if "only extend your own" in json.dumps(v.blocks)], what="the refusal")
    assert notice
    bot.settle()
    [refused] = bot.audit("refused.extend")
    assert refused.actor == "bob@acme.test" and refused.detail["code"] == "not_authorized"
    assert (refused.subject_type, refused.subject_id) == ("grant", str(alices))


def test_unknown_and_unconfirmed_slack_users_are_audited_once_a_minute(bot):
    for _ in range(5):
        ack = bot.sim.slash(MALLORY, "/access", "")
        assert ack.status == 200 and "⚠️" in ack.json["text"]
    [refused] = bot.audit("refused.identify")
    assert refused.actor == f"slack:{MALLORY}" and refused.detail["code"] == "unknown_person"
    assert refused.detail["surface"] == "command" and (refused.subject_type, refused.subject_id) == ("slack_user", MALLORY)

    bot.world.advance(seconds=61)
    bot.sim.slash(MALLORY, "/access", "")
    assert bot.audit("refused.identify")[-1].detail["suppressed"] == 4

    bot.fake.add_user("U0NOCONF01", "erin@acme.test", "erin.other", email_confirmed=False)
    bot.sim.slash("U0NOCONF01", "/access", "")
    unconfirmed = bot.audit("refused.identify")[-1]
    assert unconfirmed.actor == "slack:U0NOCONF01" and "not confirmed" in unconfirmed.detail["message"]
