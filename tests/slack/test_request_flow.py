"""From /access to active access, through signed requests into the real app, on both databases."""

from __future__ import annotations

from bot.domain.enums import GrantStatus, RequestStatus
from connectors.errors import TargetNotFound
from tests.slack.harness import ALICE, DANA, OLGA, action_ids


def test_request_is_approved_in_two_steps_provisioned_and_the_requester_told(bot):
    form = bot.open_form(ALICE, "github admin")
    assert form.callback_id == "request_modal"
    done = bot.sim.submit(ALICE, form.id, {"justification": "release 4.2 needs a branch rule change"})
    assert done.response_action == "update" and "sent" in done.top.visible_text
    request_id = bot.last_request_id()

    card = bot.card_for(DANA, request_id)
    assert "release 4.2 needs a branch rule change" in card.visible_text
    bot.sim.click(DANA, on=card.ref, action_id="approve")
    owner_card = bot.card_for(OLGA, request_id)  # the next step's approver gets a card
    bot.sim.click(OLGA, on=owner_card.ref, action_id="approve")

    bot.settle()
    assert bot.request(request_id).status == RequestStatus.APPROVED
    bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.ACTIVE],
                        what="grant active")
    bot.settle()
    texts = [m.visible_text for m in bot.fake.dm(ALICE)]
    assert any("was approved by" in t for t in texts)
    assert any("You now have" in t and "GitHub admin" in t for t in texts)
    for ref in bot.refs(request_id):
        if ref.purpose.endswith("_card"):
            shown = bot.fake.message(ref.channel, ref.ts)
            assert "Approved by" in shown.visible_text and action_ids(shown.blocks) == []


def test_a_provisioning_failure_is_told_to_the_requester_and_shown_on_the_card(bot):
    bot.world.mem.fail_next(TargetNotFound("group gh-members is gone"))
    form = bot.open_form(ALICE, "github member")  # no approval needed: provisioned at once
    assert "approved automatically" in bot.sim.submit(ALICE, form.id, {}).top.visible_text
    bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.FAILED],
                        what="grant failed")
    bot.settle()
    texts = [m.visible_text for m in bot.fake.dm(ALICE)]
    assert any("approved automatically by policy" in t for t in texts)
    failed = [t for t in texts if "could not be set up for you" in t]
    assert len(failed) == 1 and "gh-members is gone" not in failed[0]  # connector details stay with IT
