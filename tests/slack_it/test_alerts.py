"""Revoke failures reach IT with Retry; reminders, escalations and timeouts reach the right people."""

from __future__ import annotations

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, RequestStatus
from bot.ledger.end_grant import relinquish
from bot.requests.cancel import cancel
from bot.store.models import ApprovalStep, ApprovalStepApprover
from bot.ledger.event_names import RequestEvent
from connectors.errors import AuthError
from tests.slack.harness import ALICE, BOB, DANA, ERIN, IVAN, action_ids
from tests.slack_it.conftest import IT_CHANNEL
from tests.slack_it.helpers import grant_status, holding, timer_event


def test_a_failed_removal_alerts_it_and_retry_by_an_admin_removes_it(bot):
    grant_id = holding(bot, "alice@acme.test", "github:member")
    bot.world.connectors["gh"].fail_next(AuthError("the GitHub token was revoked"))
    with bot.store.uow() as s:
        relinquish(s, bot.world.ctx(), grant_id=grant_id, by=directory.require(s, "alice@acme.test"))
    bot.world.run()
    bot.settle()
    [alert] = [m for m in bot.fake.messages_in(IT_CHANNEL) if "could not be removed" in m.visible_text]
    for shown in ("still has *GitHub member* on `gh`", "auth: the GitHub token was revoked", "*Attempts*\n1"):
        assert shown in alert.visible_text
    assert action_ids(alert.blocks) == ["retry_action"]
    assert grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.REVOKE_FAILED

    bot.sim.click(BOB, on=alert.ref, action_id="retry_action")
    refusal = bot.fake.wait_until(lambda: bot.fake.ephemerals(BOB), what="Bob refused")[-1]
    assert "Only IT admins can retry provisioning" in refusal.visible_text
    assert [a.detail["code"] for a in bot.audit("refused.retry_action")] == ["not_authorized"]

    bot.sim.click(IVAN, on=alert.ref, action_id="retry_action")
    bot.fake.wait_until(lambda: grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.REVOKED, what="revoked")
    assert "alice@acme.test" not in bot.world.connectors["gh"].members["gh-members"]
    bot.settle()
    shown = bot.fake.message(*alert.ref)
    assert "Access removed after all" in shown.visible_text and action_ids(shown.blocks) == []


def test_a_reminder_points_approvers_at_the_card_they_have_and_posts_no_second_card(bot):
    request_id = bot.world.submit("alice@acme.test", "github:admin")
    bot.settle()
    card = bot.card_for(DANA, request_id)
    timer_event(bot, RequestEvent.REMINDER, request_id=request_id, approver_ids=[])
    dms = bot.fake.dm(DANA)
    assert [m.ts for m in dms if f"Access request #{request_id}:" in m.visible_text] == [card.ts]
    [reminder] = [m for m in dms if "Reminder:" in m.visible_text]
    assert f"request #{request_id}" in reminder.visible_text and "on the card I sent you" in reminder.visible_text
    timer_event(bot, RequestEvent.REMINDER, request_id=request_id, approver_ids=[])  # a second reminder, a second nudge
    assert len([m for m in bot.fake.dm(DANA) if "Reminder:" in m.visible_text]) == 2


def test_an_escalation_gives_the_new_approver_the_card(bot):
    request_id = bot.world.submit("alice@acme.test", "github:admin")
    bot.settle()
    erin = _person_id(bot, "erin@acme.test")  # Dana's manager: where a manager step escalates
    with bot.store.uow() as s:  # what the timers' escalation writes
        step = s.scalar(select(ApprovalStep).where(ApprovalStep.request_id == request_id))
        step.approver_ids = [*step.approver_ids, erin]
        s.add(ApprovalStepApprover(step_id=step.id, person_id=erin))
    timer_event(bot, RequestEvent.ESCALATED, request_id=request_id, added_approver_ids=[erin])
    card = bot.card_for(ERIN, request_id)
    assert action_ids(card.blocks) == ["approve", "deny"]


def test_a_timed_out_request_tells_the_requester_and_redraws_every_card(bot):
    request_id = bot.world.submit("alice@acme.test", "github:admin")
    bot.settle()
    card = bot.card_for(DANA, request_id)
    with bot.store.uow() as s:
        cancel(s, bot.world.ctx(), request_id=request_id, by=None, reason="nobody decided in time",
               status=RequestStatus.TIMED_OUT)
    bot.settle()
    assert "Expired: nobody decided in time" in bot.fake.message(*card.ref).visible_text
    assert action_ids(bot.fake.message(*card.ref).blocks) == []
    assert any(f"request #{request_id}" in m.visible_text and "expired" in m.visible_text for m in bot.fake.dm(ALICE))


def _person_id(bot, email: str) -> int:
    with bot.store.uow() as s:
        return directory.require(s, email).id
