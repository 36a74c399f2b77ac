"""Approving and denying from cards: authorisation by the domain, every copy redrawn, races."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.domain.enums import RequestStatus
from bot.store.models import Decision
from tests.slack.harness import ALICE, APPROVALS_CHANNEL, BOB, DANA, OLGA, P1, P2, P3, action_ids


def submit_via_form(bot, user: str, text: str, values: dict) -> int:
    form = bot.open_form(user, text)
    answer = bot.sim.submit(user, form.id, values)
    assert answer.response_action == "update", answer.errors
    return bot.last_request_id()


def test_deny_asks_for_a_reason_that_reaches_the_requester_and_every_copy(bot):
    request_id = submit_via_form(bot, ALICE, "wiki editor", {})
    card = bot.card_for(DANA, request_id)
    bot.sim.click(DANA, on=card.ref, action_id="deny")
    modal = bot.fake.wait_until(lambda: bot.fake.modal_stack(DANA), what="deny modal")[-1]
    assert modal.callback_id == "deny_modal" and '"request_id":%d' % request_id in modal.private_metadata
    answer = bot.sim.submit(DANA, modal.id, {"reason": "use the shared <!channel> account instead"})
    assert answer.top is None  # closed

    bot.settle()
    assert bot.request(request_id).status == RequestStatus.DENIED
    told = [m for m in bot.fake.dm(ALICE) if "was denied by" in m.visible_text]
    assert len(told) == 1 and "use the shared &lt;!channel&gt; account instead" in told[0].visible_text
    for who in (DANA, ALICE):
        copy = bot.card_for(who, request_id)
        assert "Denied by <@U0DANA0001>" in copy.visible_text and action_ids(copy.blocks) == []


def test_a_click_from_someone_who_is_not_an_approver_is_refused_privately_and_audited(bot):
    request_id = submit_via_form(bot, ALICE, "prod-db write", {"ticket": "INC-7", "justification": "hotfix"})
    bot.settle()
    card = bot.fake.messages_in(APPROVALS_CHANNEL)[0]
    since = bot.fake.last_seq
    bot.sim.click(OLGA, on=card.ref, action_id="approve")  # in the channel, but step 1 is p1/p2
    bot.fake.wait_for_call("response_url", after=since)
    refusal = bot.fake.ephemerals(OLGA)[-1]
    assert "not an approver of the current step" in refusal.text
    assert bot.request(request_id).status == RequestStatus.PENDING
    refused = bot.audit("refused.decide")
    assert refused and refused[-1].actor == "olga@acme.test" and refused[-1].detail["code"] == "not_authorized"


def test_the_requester_cannot_approve_their_own_request_from_the_channel(bot):
    request_id = submit_via_form(bot, P3, "prod-db write", {"ticket": "INC-8", "justification": "migration"})
    bot.settle()
    card = bot.fake.messages_in(APPROVALS_CHANNEL)[0]
    since = bot.fake.last_seq
    bot.sim.click(P3, on=card.ref, action_id="approve")
    bot.fake.wait_for_call("response_url", after=since)
    assert "cannot approve or deny your own request" in bot.fake.ephemerals(P3)[-1].text
    assert bot.audit("refused.decide")[-1].detail["code"] == "self_approval"
    assert bot.request(request_id).status == RequestStatus.PENDING


def test_a_deny_click_from_a_non_approver_is_refused_before_any_reason_is_asked(bot):
    request_id = submit_via_form(bot, ALICE, "prod-db write", {"ticket": "INC-9", "justification": "x" * 10})
    bot.settle()
    card = bot.fake.messages_in(APPROVALS_CHANNEL)[0]
    since = bot.fake.last_seq
    bot.sim.click(OLGA, on=card.ref, action_id="deny")
    bot.fake.wait_for_call("response_url", after=since)
    assert bot.fake.modal_stack(OLGA) == [] and "not an approver" in bot.fake.ephemerals(OLGA)[-1].text
    assert bot.audit("refused.decide")[-1].actor == "olga@acme.test"
    assert bot.request(request_id).status == RequestStatus.PENDING


def test_two_approvers_clicking_at_once_make_one_decision_and_the_other_hears_who_won(bot):
    request_id = submit_via_form(bot, ALICE, "aws-prod admin", {"justification": "incident"})
    cards = {who: bot.card_for(who, request_id) for who in (P1, P2, P3)}
    since = bot.fake.last_seq
    barrier = threading.Barrier(2)

    def click(who):
        barrier.wait()
        bot.sim.click(who, on=cards[who].ref, action_id="approve")

    threads = [threading.Thread(target=click, args=(who,)) for who in (P1, P2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.fake.wait_for_call("response_url", after=since)
    bot.settle()
    with bot.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(Decision).where(Decision.request_id == request_id)) == 1
    loser = next(who for who in (P1, P2) if bot.fake.ephemerals(who))
    winner = ({P1, P2} - {loser}).pop()
    assert f"already approved by" in bot.fake.ephemerals(loser)[-1].text
    for who in (P1, P2, P3, ALICE):  # every copy now says who decided, and has no buttons
        copy = bot.card_for(who, request_id)
        assert f"Approved by <@{winner}>" in copy.visible_text and action_ids(copy.blocks) == []


def test_channel_approvals_post_once_in_the_channel_and_mention_the_next_step_in_a_thread(bot):
    request_id = submit_via_form(bot, BOB, "prod-db write", {"ticket": "INC-10", "justification": "data fix"})
    bot.settle()
    [card] = [m for m in bot.fake.messages_in(APPROVALS_CHANNEL) if not m.thread_ts]
    assert action_ids(card.blocks) == ["approve", "deny"]
    assert bot.fake.dm(P1) == [] and bot.fake.dm(P2) == []  # the channel replaces DMs
    bot.sim.click(P1, on=card.ref, action_id="approve", text="Approve")
    bot.settle()
    thread = [m for m in bot.fake.messages_in(APPROVALS_CHANNEL) if m.thread_ts == card.ts]
    assert len(thread) == 1 and "<@U0OLGA0001>" in thread[0].text
    updated = bot.fake.message(*card.ref)
    assert "1 of 1 approval · approved" in updated.visible_text and action_ids(updated.blocks) == ["approve", "deny"]
    bot.sim.click(OLGA, on=card.ref, action_id="approve")
    bot.settle()
    assert bot.request(request_id).status == RequestStatus.APPROVED
    assert "Approved by <@U0OLGA0001>" in bot.fake.message(*card.ref).visible_text


def test_a_denial_at_step_one_of_a_two_step_chain_is_recorded_as_step_denied_and_redraws_every_copy(bot):
    request_id = submit_via_form(bot, ALICE, "github admin", {"justification": "release 4.2 branch rules"})
    card = bot.card_for(DANA, request_id)  # step 1 of 2 (position 0): the manager; the owner (Olga) comes second
    bot.sim.click(DANA, on=card.ref, action_id="deny")
    modal = bot.fake.wait_until(lambda: bot.fake.modal_stack(DANA), what="deny modal")[-1]
    bot.sim.submit(DANA, modal.id, {"reason": "not this sprint"})
    bot.settle()

    assert bot.request(request_id).status == RequestStatus.DENIED
    [denied] = bot.audit("request.step_denied")
    assert denied.detail["step"] == 0 and denied.detail["approver"] == "dana@acme.test"
    assert bot.audit("request.step_denyd") == []
    assert [m for m in bot.fake.dm(ALICE) if "was denied by" in m.visible_text]
    refs = [r for r in bot.refs(request_id) if r.purpose.endswith("_card")]
    assert len(refs) >= 2  # the approver's copy and the requester's
    for ref in refs:
        shown = bot.fake.message(ref.channel, ref.ts)
        assert "Denied by <@U0DANA0001>" in shown.visible_text and action_ids(shown.blocks) == []
