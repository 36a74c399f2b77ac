"""Withdrawing a scheduled offboarding from Slack, and four eyes for privileged leavers: driven as
Slack does (signed requests, the fake Web API), on both databases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.domain.enums import GrantStatus
from bot.http.hooks import hooks_plugin, sign
from bot.ledger import due
from bot.offboarding import jobs
from bot.offboarding.timers import OffboardingKind
from bot.store.models import Offboarding
from tests.slack.harness import BOB, IVAN, action_ids
from tests.slack_it.conftest import IT_CHANNEL, KIM, it_bot
from tests.slack_it.helpers import holding
from tests.slack_it.test_offboard import _plan, _report
from tests.support.deps import fire_due


@pytest.fixture
def bot(store, clock, tmp_path):
    with it_bot(store, clock, tmp_path, second_admin=True) as world:
        yield world


def _offboarding(bot, offboarding_id: int) -> Offboarding:
    with bot.store.uow() as s:
        return s.get(Offboarding, offboarding_id)


def _told(bot, user: str, text: str) -> str:
    found = bot.fake.wait_until(lambda: [e for e in bot.fake.ephemerals(user) if text in e.visible_text],
                                what=f"{user} told {text!r}")
    return found[-1].visible_text


def _due_runs(bot, person_id: int) -> int:
    with bot.store.uow() as s:
        return len(due.pending(s, OffboardingKind.OFFBOARD, person_id))


def test_a_scheduled_offboarding_is_cancelled_from_its_message_by_an_it_admin_only(bot):
    holding(bot, "alice@acme.test", "wiki:editor")
    plan = _plan(bot, IVAN, "@alice at 2026-11-03 18:00")
    done = bot.sim.submit(IVAN, plan.id, {})
    assert "is scheduled for" in done.top.visible_text
    assert action_ids(done.top.blocks) == ["cancel_offboarding"]  # the /offboard confirmation offers it too
    report = _report(bot, "Scheduled")
    cancel = next(e for b in report.blocks if b["type"] == "actions" for e in b["elements"])
    assert cancel["text"]["text"] == "Cancel scheduled offboarding" and cancel["confirm"]["confirm"]["text"] == "Cancel it"
    record = _offboarding(bot, 1)
    assert _due_runs(bot, record.person_id) == 1

    bot.sim.click(BOB, on=report.ref, action_id="cancel_offboarding")
    assert "Only IT admins can cancel offboardings" in _told(bot, BOB, "Only IT admins")
    assert [a.detail["code"] for a in bot.audit("refused.cancel_offboarding")] == ["not_authorized"]
    assert _offboarding(bot, 1).status == "scheduled"

    stale = bot.fake.message(*report.ref)  # a copy of the message with its Cancel button, for later
    bot.sim.click(IVAN, on=report.ref, action_id="cancel_offboarding")
    assert "is cancelled" in _told(bot, IVAN, "Offboarding #1 is cancelled")
    bot.settle()
    redrawn = bot.fake.message(*report.ref)
    assert "Cancelled" in redrawn.visible_text and "Cancelled by <@U0IVAN0001>" in redrawn.visible_text
    assert action_ids(redrawn.blocks) == []
    assert _offboarding(bot, 1).status == "cancelled" and _due_runs(bot, record.person_id) == 0
    [event] = bot.audit("offboarding.cancelled")
    assert event.actor == "ivan@acme.test" and event.detail["was"] == "scheduled"

    bot.sim.click(IVAN, on=stale, action_id="cancel_offboarding")  # the old copy, pressed again
    assert "was already cancelled by ivan@acme.test" in _told(bot, IVAN, "already cancelled")
    bot.world.clock.set(datetime(2026, 11, 3, 17, 0, tzinfo=timezone.utc))
    assert fire_due(bot.deps, jobs.HANDLERS) == []
    assert bot.world.holds("alice@acme.test", "wiki-editors")


def test_cancel_from_the_offboard_confirmation_and_a_started_one_is_refused(bot):
    holding(bot, "alice@acme.test", "wiki:editor")
    plan = _plan(bot, IVAN, "@alice at 2026-11-03 18:00")
    confirmation = bot.sim.submit(IVAN, plan.id, {}).top
    report = _report(bot, "Scheduled")
    bot.sim.click(IVAN, on=confirmation.id, action_id="cancel_offboarding")
    bot.fake.wait_until(lambda: "is cancelled" in bot.fake.view(confirmation.id).visible_text, what="modal redrawn")
    bot.settle()
    assert "Cancelled" in bot.fake.message(*report.ref).visible_text

    plan = _plan(bot, IVAN, "@alice at 2026-11-03 18:00")
    bot.sim.submit(IVAN, plan.id, {})
    second = bot.fake.wait_until(lambda: [m for m in bot.fake.messages_in(IT_CHANNEL) if "Offboarding #2" in
                                          m.visible_text], what="#2 posted")[-1]
    bot.world.clock.set(datetime(2026, 11, 3, 17, 0, tzinfo=timezone.utc))
    fire_due(bot.deps, jobs.HANDLERS)  # it runs
    bot.sim.click(IVAN, on=second, action_id="cancel_offboarding")  # the copy from before it ran
    assert "has already started" in _told(bot, IVAN, "it can no longer be cancelled")
    assert not bot.world.holds("alice@acme.test", "wiki-editors")


def test_a_privileged_leaver_needs_a_second_it_admin_and_the_asker_cannot_confirm(bot):
    admin_grant = holding(bot, "alice@acme.test", "github:admin")
    plan = _plan(bot, IVAN, "@alice")
    assert "A second IT admin must confirm this" in plan.visible_text and "github:admin" in plan.visible_text
    assert plan.body["submit"]["text"] == "Ask to offboard"
    asked = bot.sim.submit(IVAN, plan.id, {"offboard_reason": "left on Friday"}).top
    assert "waits for a second IT admin" in asked.visible_text
    report = _report(bot, "Waiting for a second IT admin")
    assert action_ids(report.blocks) == ["confirm_offboarding", "cancel_offboarding"]
    assert "<@U0IVAN0001> asked for it; they hold privileged access: `github:admin`" in report.visible_text
    assert bot.world.connectors["gh"].members["gh-admins"] == {"alice@acme.test"}

    bot.sim.click(IVAN, on=report.ref, action_id="confirm_offboarding")
    assert "a different IT admin must confirm it" in _told(bot, IVAN, "different IT admin")
    bot.sim.click(BOB, on=report.ref, action_id="confirm_offboarding")
    assert "Only IT admins can confirm offboardings" in _told(bot, BOB, "Only IT admins")
    assert [a.detail["code"] for a in bot.audit("refused.confirm_offboarding")] == ["not_authorized"] * 2
    assert _offboarding(bot, 1).status == "unconfirmed"

    bot.sim.click(KIM, on=report.ref, action_id="confirm_offboarding")
    assert "has started" in _told(bot, KIM, "Confirmed")
    final = _report(bot, "Waiting for the last steps")  # the badge desk is a manual task
    assert "Asked by <@U0IVAN0001>, confirmed by <@U0KIM00001>" in final.visible_text
    assert final.ref == report.ref  # one message per offboarding, redrawn
    assert bot.world.connectors["gh"].members["gh-admins"] == set()
    assert next(g.status for g in bot.grants_of("alice@acme.test") if g.id == admin_grant) == GrantStatus.REVOKED
    [event] = bot.audit("offboarding.confirmed")
    assert event.actor == "kim@acme.test" and event.detail["asked_by"] == "ivan@acme.test"


def test_break_glass_from_slack_needs_a_reason_and_is_shown_on_the_report(bot):
    holding(bot, "alice@acme.test", "github:admin")
    plan = _plan(bot, IVAN, "@alice")
    refused = bot.sim.submit(IVAN, plan.id, {"offboard_break_glass": ["break_glass"]})
    assert refused.response_action == "errors" and "Break glass needs a reason" in refused.errors["offboard_reason"]
    started = bot.sim.submit(IVAN, plan.id, {"offboard_break_glass": ["break_glass"],
                                            "offboard_reason": "laptop stolen, sessions active"})
    assert "has started" in started.top.visible_text
    report = _report(bot, "Waiting for the last steps")
    assert "Break glass* by <@U0IVAN0001>: no second IT admin confirmed it. Reason: laptop stolen" in report.visible_text
    [event] = bot.audit("offboarding.break_glass")
    assert event.detail["privileged"] == ["github:admin"]
    assert bot.world.connectors["gh"].members["gh-admins"] == set()


def test_a_signed_hr_leaver_is_never_held_and_withdraws_a_waiting_proposal(store, clock, tmp_path):
    with it_bot(store, clock, tmp_path, second_admin=True, hr_webhook_secret="hr-secret",
                plugins=(hooks_plugin,)) as bot:
        holding(bot, "alice@acme.test", "github:admin")
        bot.sim.submit(IVAN, _plan(bot, IVAN, "@alice").id, {})
        proposal = _report(bot, "Waiting for a second IT admin")
        raw = json.dumps({"event_id": "wd-9", "type": "leaver", "occurred_at": clock.now().isoformat(),
                          "termination": "immediate", "person": {"email": "alice@acme.test"}}).encode()
        ts = int(clock.now().timestamp())
        answer = bot.sim.transport.client.post("/hooks/hr", content=raw, headers={
            "X-Accessbot-Timestamp": str(ts), "X-Accessbot-Signature": sign("hr-secret", ts, raw),
            "Content-Type": "application/json"})
        assert answer.status_code == 202, answer.text
        bot.fake.wait_until(lambda: not bot.world.connectors["gh"].members["gh-admins"], timeout=20,
                            what="the HR leaver's GitHub admin removed")
        bot.settle()
        withdrawn = bot.fake.message(*proposal.ref)
        assert "Cancelled" in withdrawn.visible_text and "superseded: offboarding #2 started" in withdrawn.visible_text
        assert action_ids(withdrawn.blocks) == []
        assert _offboarding(bot, 2).requested_by == "system:hr" and _offboarding(bot, 2).status != "unconfirmed"
