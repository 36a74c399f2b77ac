"""Expiry warnings: Extend within the self-service limit, beyond it (approval), Relinquish; every
warning is redrawn without buttons once the grant changed."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.enums import GrantStatus
from bot.ledger.end_grant import expire
from bot.ledger.event_names import GrantEvent
from tests.slack.harness import ALICE, DANA, action_ids
from tests.slack_it.helpers import grant_status, holding, timer_event


def _warning(bot, grant_id: int):
    timer_event(bot, GrantEvent.EXPIRING, grant_id=grant_id, minutes_left=60, can_extend=True)
    return bot.fake.wait_until(lambda: [m for m in bot.fake.dm(ALICE) if "ends soon" in m.text],
                               what="the warning")[-1]


def _extend_form(bot):
    """The Extend modal once filled in (it opens as "Loading…" and is completed after the ack)."""
    return bot.fake.wait_until(lambda: [v for v in bot.fake.modal_stack(ALICE)
                                        if any(b.get("block_id") == "duration" for b in v.blocks)],
                               what="the extend form")[-1]


def _options(view) -> list[str]:
    [select] = [b["element"] for b in view.blocks if b.get("block_id") == "duration"]
    return [o["value"] for o in select["options"]]


def test_extend_within_the_self_service_limit_applies_at_once_and_redraws_the_warning(bot):
    grant_id = holding(bot, "alice@acme.test", "github:member")
    ends = next(g.ends_at for g in bot.grants_of("alice@acme.test") if g.id == grant_id)
    warning = _warning(bot, grant_id)
    assert "4 h left" in warning.visible_text and action_ids(warning.blocks) == ["extend_grant", "relinquish_grant"]

    bot.sim.click(ALICE, on=warning.ref, action_id="extend_grant")
    form = _extend_form(bot)
    assert _options(form) == ["1h", "4h"]  # a day more would pass the 1-day maximum: not offered
    done = bot.sim.submit(ALICE, form.id, {"duration": "1h"})
    assert done.response_action == "update" and "Extended" in done.top.visible_text

    [grant] = [g for g in bot.grants_of("alice@acme.test") if g.id == grant_id]
    assert grant.status == GrantStatus.ACTIVE and grant.ends_at == ends + timedelta(hours=1)
    bot.settle()
    shown = bot.fake.message(*warning.ref)
    assert "Extended: *GitHub member* now ends" in shown.visible_text and action_ids(shown.blocks) == []


def test_extend_beyond_the_self_service_limit_goes_to_the_approvers(bot):
    grant_id = holding(bot, "alice@acme.test", "github:admin")
    warning = _warning(bot, grant_id)
    bot.sim.click(ALICE, on=warning.ref, action_id="extend_grant")
    form = _extend_form(bot)
    done = bot.sim.submit(ALICE, form.id, {"duration": "4h", "justification": "the migration runs late"})
    request_id = bot.last_request_id()
    assert f"request #{request_id} went to your approvers" in done.top.visible_text
    bot.settle()
    shown = bot.fake.message(*warning.ref)
    assert f"Extension requested (request #{request_id})" in shown.visible_text
    assert action_ids(shown.blocks) == ["relinquish_grant"]

    card = bot.card_for(DANA, request_id)
    bot.sim.click(DANA, on=card.ref, action_id="approve")
    bot.fake.wait_until(lambda: "Extended:" in bot.fake.message(*warning.ref).visible_text, what="redrawn")
    assert action_ids(bot.fake.message(*warning.ref).blocks) == []


def test_relinquish_from_the_warning_removes_the_access_and_says_so(bot):
    grant_id = holding(bot, "alice@acme.test", "wiki:editor")
    warning = _warning(bot, grant_id)
    [relinquish] = [e for b in warning.blocks if b["type"] == "actions" for e in b["elements"]
                    if e["action_id"] == "relinquish_grant"]
    assert relinquish["confirm"]["confirm"]["text"] == "Relinquish"  # Slack asks before sending the click
    bot.sim.click(ALICE, on=warning.ref, action_id="relinquish_grant")
    bot.fake.wait_until(lambda: grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.REVOKED,
                        what="the grant revoked")
    assert not bot.world.holds("alice@acme.test", "wiki-editors")
    bot.settle()
    shown = bot.fake.message(*warning.ref)
    assert "You gave up *Wiki editor*" in shown.visible_text and action_ids(shown.blocks) == []


def test_a_warning_for_a_grant_that_already_ended_is_not_sent(bot):
    grant_id = holding(bot, "alice@acme.test", "wiki:editor")
    bot.world.advance(hours=5)
    with bot.store.uow() as s:
        assert expire(s, bot.world.ctx(), grant_id=grant_id)
    timer_event(bot, GrantEvent.EXPIRING, grant_id=grant_id, minutes_left=0, can_extend=False)
    assert not [m for m in bot.fake.dm(ALICE) if "ends soon" in m.text]
