"""The same listeners over Socket Mode: no public URL, envelopes acked over the WebSocket."""

from __future__ import annotations

from bot.domain.enums import GrantStatus, RequestStatus
from tests.slack.harness import ALICE, DANA, running_bot


def test_request_and_approval_work_over_socket_mode(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, socket_mode=True) as bot:
        assert bot.fake.calls("apps.connections.open")[0].ok
        form = bot.open_form(ALICE, "wiki editor")
        assert [o["value"] for o in bot.sim.suggest(ALICE, form.id, "entitlement_picker", "wik")] == ["wiki:editor"]
        assert bot.sim.submit(ALICE, form.id, {"justification": "docs"}).response_action == "update"
        request_id = bot.last_request_id()
        card = bot.card_for(DANA, request_id)
        bot.sim.click(DANA, on=card.ref, action_id="approve")
        bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.ACTIVE],
                            what="grant active")
        bot.settle()
        assert bot.request(request_id).status == RequestStatus.APPROVED
        assert any("You now have" in m.visible_text for m in bot.fake.dm(ALICE))
        delivery = bot.sim.event({"type": "app_home_opened", "user": ALICE, "channel": bot.fake.dm_channel(ALICE),
                                  "tab": "home"})
        bot.sim.redeliver(delivery, retry_num=1, retry_reason="timeout")  # Socket Mode redelivery
        bot.settle()
        assert bot.fake.count("views.publish", user_id=ALICE, ok=True) >= 1
        publishes = bot.fake.count("views.publish", user_id=ALICE)
        bot.sim.redeliver(delivery, retry_num=2, retry_reason="timeout")
        bot.settle()
        assert bot.fake.count("views.publish", user_id=ALICE) == publishes
