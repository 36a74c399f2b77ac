"""Break glass through Slack: the request form's Emergency button, the confirmation form, refusals inline and
audited, the IT/security channel's message kept up to date, the reviewer's verdict and its escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.breakglass.use import break_glass
from bot.directory import service as directory
from bot.http.metrics import Metrics
from bot.store.models import BreakGlassUse
from bot.timers.service import TimerService
from tests.support.break_glass import with_break_glass
from tests.slack.harness import ALICE, BOB, DANA, OLGA, action_ids, harness_document, running_bot, seed_slack_users
from tests.support.builders import dump
from tests.support.fake_slack import FakeSlack

SECURITY = "C0SECURITY"
BG_CATALOG = dump(with_break_glass({**harness_document(), "settings": {**harness_document()["settings"],
                                                                      "it_channel": SECURITY}}))
REASON = "Prod outage INC-42: rolling back the release"


@pytest.fixture
def bg_bot(store, clock, tmp_path):
    fake = FakeSlack.start()
    try:
        seed_slack_users(fake)
        fake.add_channel(SECURITY, "security", [DANA])
        with running_bot(store, clock, tmp_path, catalog=BG_CATALOG, fake=fake) as world:
            yield world
        fake.assert_no_unexpected_errors()
    finally:
        fake.stop()


def open_break_glass(bot, user: str, text: str = "github admin"):
    form = bot.open_form(user, text)
    since = bot.fake.last_seq
    bot.sim.click(user, on=form.id, action_id="break_glass_open")
    bot.fake.wait_for_call("views.push", after=since, ok=True)
    return bot.fake.modal_stack(user)[-1]


def uses(bot) -> list[BreakGlassUse]:
    with bot.store.uow() as s:
        return list(s.query(BreakGlassUse).order_by(BreakGlassUse.id))


def test_the_emergency_button_is_offered_only_where_the_policy_allows_it(bg_bot):
    assert "break_glass_open" in action_ids(bg_bot.open_form(ALICE, "github admin").blocks)
    assert "break_glass_open" not in action_ids(bg_bot.open_form(ALICE, "wiki editor").blocks)


def test_break_glass_grants_at_once_tells_everyone_and_is_reviewed(bg_bot):
    form = open_break_glass(bg_bot, ALICE)
    shown = form.visible_text
    assert "You have 1 of 1 per 1 week left" in shown.replace("*", "")
    assert "the IT/security channel" in shown and "your manager Dana" in shown and "Dana will review" in shown

    short = bg_bot.sim.submit(ALICE, form.id, {"justification": "urgent", "break_glass_confirm": ["confirm"]})
    assert list(short.errors) == ["justification"] and uses(bg_bot) == []

    done = bg_bot.sim.submit(ALICE, form.id, {"justification": REASON, "break_glass_confirm": ["confirm"]})
    assert done.response_action == "update" and "Break-glass #1" in done.top.visible_text
    bg_bot.settle()
    [grant] = bg_bot.grants_of("alice@acme.test")
    assert grant.status == "active" and bg_bot.world.holds("alice@acme.test", "gh-admins")
    [channel] = bg_bot.fake.messages_in(SECURITY)
    assert "Break-glass #1" in channel.visible_text and "(active)" in channel.visible_text
    assert REASON in channel.visible_text
    olga_note = [m for m in bg_bot.fake.dm(OLGA) if "used break-glass" in m.visible_text]
    assert len(olga_note) == 1  # an approver the emergency skipped is told
    review_card = next(m for m in bg_bot.fake.dm(DANA) if "Review break-glass #1" in m.visible_text)
    [event] = bg_bot.audit("break_glass.used")
    assert event.detail["policy_bypassed"] and event.detail["reason"] == REASON

    since = bg_bot.fake.last_seq
    bg_bot.sim.click(DANA, on=review_card.ref, action_id="break_glass_not_justified")
    bg_bot.fake.wait_for_call("views.open", after=since, ok=True)
    reason_form = bg_bot.fake.modal_stack(DANA)[-1]
    bg_bot.sim.submit(DANA, reason_form.id, {"break_glass_review_reason": "No incident INC-42 exists"})
    bg_bot.settle()
    assert uses(bg_bot)[0].verdict == "not_justified"
    channel = bg_bot.fake.message(SECURITY, channel.ts)
    assert "NOT justified" in channel.visible_text and "No incident INC-42 exists" in channel.visible_text
    thread = [m for m in bg_bot.fake.messages_in(SECURITY) if m.thread_ts == channel.ts]
    assert len(thread) == 1 and "not justified" in thread[0].visible_text
    assert "break_glass_justified" not in action_ids(bg_bot.fake.message(*review_card.ref).blocks)



def test_refusals_are_inline_and_audited(bg_bot):
    form = open_break_glass(bg_bot, ALICE)
    with bg_bot.store.uow() as s:  # meanwhile the budget is spent elsewhere (another form, the same minute)
        alice = directory.require(s, "alice@acme.test")
        break_glass(s, bg_bot.world.ctx("alice@acme.test"), person=alice, entitlement="github:admin", duration=None,
                    reason=REASON)
    refused = bg_bot.sim.submit(ALICE, form.id, {"justification": REASON, "break_glass_confirm": ["confirm"]})
    assert list(refused.errors) == ["break_glass_confirm"] and "budget is 1" in refused.errors["break_glass_confirm"]
    assert len(uses(bg_bot)) == 1
    assert [e.detail["code"] for e in bg_bot.audit("refused.break_glass")] == ["break_glass_budget_exhausted"]

    not_eligible = open_break_glass(bg_bot, BOB)  # Sales: the who: rule says no; told before any form
    assert "may not break glass" in not_eligible.visible_text and not not_eligible.body.get("submit")
    assert bg_bot.audit("refused.break_glass")[-1].detail["code"] == "break_glass_not_eligible"


def test_the_channel_message_follows_the_grant_and_an_overdue_review_is_escalated(bg_bot):
    form = open_break_glass(bg_bot, ALICE)
    bg_bot.sim.submit(ALICE, form.id, {"justification": REASON, "break_glass_confirm": ["confirm"]})
    bg_bot.settle()
    [channel] = bg_bot.fake.messages_in(SECURITY)
    timers = TimerService(bg_bot.deps)

    bg_bot.deps.clock.advance(timedelta(hours=2, minutes=1))
    timers.sweep_once()
    bg_bot.deps.runner.run_due()
    bg_bot.settle()
    assert bg_bot.grants_of("alice@acme.test")[0].status == "expired"
    assert "ended, waiting for review" in bg_bot.fake.message(SECURITY, channel.ts).visible_text

    bg_bot.deps.clock.advance(timedelta(days=1))
    timers.sweep_once()
    bg_bot.settle()
    thread = [m for m in bg_bot.fake.messages_in(SECURITY) if m.thread_ts == channel.ts]
    assert len(thread) == 1 and "past its review deadline" in thread[0].visible_text
    assert len(bg_bot.audit("break_glass.review_overdue")) == 1

    scraped = Metrics(bg_bot.store).render().decode()
    assert 'accessbot_break_glass_uses_total{entitlement="github:admin",review="pending"} 1.0' in scraped


def test_a_crafted_button_for_an_entitlement_without_break_glass_is_refused_and_audited(bg_bot):
    form = bg_bot.open_form(ALICE, "github admin")
    since = bg_bot.fake.last_seq
    bg_bot.sim.click(ALICE, on=form.id, action_id="break_glass_open", button_value="wiki:editor")
    bg_bot.fake.wait_for_call("views.push", after=since, ok=True)
    refused = bg_bot.fake.modal_stack(ALICE)[-1]
    assert "has no break-glass path" in refused.visible_text and not refused.body.get("submit")
    assert bg_bot.audit("refused.break_glass")[-1].detail["code"] == "break_glass_not_allowed"
    assert uses(bg_bot) == [] and bg_bot.grants_of("alice@acme.test") == []
