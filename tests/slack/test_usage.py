"""Unused access driven as Slack would, through signed requests: the holder's DM "You have not used …
since …", Keep (with an optional reason) restarts the clock, Release revokes and confirms; a double
click makes one decision and a forged click is refused and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.enums import GrantStatus
from bot.slack.usage_refs import UsageAskRef
from bot.store.models import Grant, UsageAsk
from bot.timers.service import TimerService
from bot.usage import collect
from tests.slack.harness import ALICE, BOB, OLGA, running_bot
from tests.usage.conftest import USAGE_CATALOG, holding


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=USAGE_CATALOG) as sw:
        yield sw


def _unused(sw, *emails: str, ref: str = "salesforce:sales-cloud") -> int:
    """Each holds ``ref`` for 60 days, last used 45 days ago; a pass asks about it. The first grant id."""
    gids = [holding(sw.world, email, ref)[0] for email in emails]
    sw.world.advance(days=60)
    for email in emails:
        sw.world.mem.last_seen[email] = sw.world.clock.now() - timedelta(days=45)
    collect.collect(sw.deps, "mem")
    TimerService(sw.deps).sweep_once()
    sw.settle()
    return gids[0]


def _asks(sw) -> list[UsageAsk]:
    with sw.store.uow() as s:
        return list(s.scalars(select(UsageAsk).order_by(UsageAsk.id)))


def _question(sw, user):
    [dm] = [m for m in sw.fake.dm(user) if "Keep it or release it?" in m.visible_text]
    return dm


def test_keep_with_a_reason_restarts_the_clock(bot):
    _unused(bot, "alice@acme.test")
    dm = _question(bot, ALICE)
    last = (bot.world.clock.now() - timedelta(days=45))
    assert f"You have not used Salesforce (Sales Cloud) since {last.day} {last:%b}. Keep it or release it?" in dm.text
    assert "USD 150.00 a month" in dm.visible_text
    since = bot.fake.last_seq
    assert bot.sim.click(ALICE, on=dm, action_id="usage_keep").status == 200
    bot.fake.wait_for_call("views.open", after=since, ok=True)
    modal = bot.fake.modal_stack(ALICE)[-1]
    bot.sim.submit(ALICE, modal.id, {"reason": "quarter-end <!channel> forecasts"})
    bot.settle()
    [ask] = _asks(bot)
    assert (ask.status, ask.decided_how, ask.reason) == ("kept", "holder", "quarter-end <!channel> forecasts")
    redrawn = _question(bot, ALICE)
    assert "Kept" in redrawn.visible_text and "<!channel>" not in str(redrawn.blocks).replace("&lt;!channel&gt;", "")
    assert bot.audit("usage.kept")[0].actor == "alice@acme.test"
    bot.world.advance(days=29)  # the clock restarted at Keep: no new question yet
    collect.collect(bot.deps, "mem")
    TimerService(bot.deps).sweep_once()
    assert len(_asks(bot)) == 1
    bot.world.advance(days=2)
    collect.collect(bot.deps, "mem")
    TimerService(bot.deps).sweep_once()
    assert len(_asks(bot)) == 2


def test_release_revokes_through_the_ordinary_path_and_confirms_once(bot):
    gid = _unused(bot, "alice@acme.test")
    dm = _question(bot, ALICE)
    bot.sim.click(ALICE, on=dm, action_id="usage_release")
    bot.sim.click(ALICE, on=dm, action_id="usage_release")  # a double click from the same rendered message
    bot.settle()
    bot.world.run()
    bot.settle()
    [ask] = _asks(bot)
    assert ask.status == "released"
    assert len(bot.audit("usage.released")) == 1
    assert [e.detail["code"] for e in bot.audit("refused.usage.release")] == ["invalid_state"]
    assert not bot.world.holds("alice@acme.test", "sf-sales")
    with bot.store.uow() as s:
        assert s.get(Grant, gid).status == GrantStatus.REVOKED
    assert "Released" in _question(bot, ALICE).visible_text and "saves USD 150.00 a month" in _question(
        bot, ALICE).visible_text


def test_a_forged_click_on_someone_elses_question_is_refused_and_audited(bot):
    _unused(bot, "alice@acme.test", "bob@acme.test")
    alices, bobs = _asks(bot)
    ack = bot.sim.click(BOB, on=_question(bot, BOB), action_id="usage_release", button_value=UsageAskRef(ask_id=alices.id).dump())
    assert ack.status == 200
    bot.settle()
    [refusal] = bot.audit("refused.usage.release")
    assert refusal.actor == "bob@acme.test" and refusal.detail["code"] == "not_authorized"
    assert [a.status for a in _asks(bot)] == ["open", "open"] and bot.world.holds("alice@acme.test", "sf-sales")


def test_no_answer_releases_and_redraws_the_dm_while_unknown_usage_asks_nobody(bot):
    holding(bot.world, "bob@acme.test", "salesforce:sales-cloud")
    bot.world.mem.last_seen["bob@acme.test"] = None  # the target cannot tell when Bob last used it
    _unused(bot, "alice@acme.test")
    assert not [m for m in bot.fake.dm(BOB) if "Keep it or release it?" in m.visible_text]
    bot.world.advance(days=7, minutes=1)
    TimerService(bot.deps).sweep_once()
    bot.world.run()
    bot.settle()
    assert [a.decided_how for a in _asks(bot)] == ["deadline"]
    assert "Released" in _question(bot, ALICE).visible_text
    assert not bot.world.holds("alice@acme.test", "sf-sales") and bot.world.holds("bob@acme.test", "sf-sales")


def test_no_answer_hands_the_question_to_the_owner_who_releases(bot):
    _unused(bot, "alice@acme.test", ref="salesforce:reports")
    alices = _question(bot, ALICE)
    assert [e["action_id"] for b in alices.blocks if b["type"] == "actions" for e in b["elements"]] == [
        "usage_keep", "usage_release"]
    bot.world.advance(days=7, minutes=1)
    TimerService(bot.deps).sweep_once()
    bot.settle()
    olgas = _question(bot, OLGA)
    assert "Alice has not used Salesforce (Reports)" in olgas.text
    redrawn = _question(bot, ALICE)
    assert "the owner decides now" in redrawn.visible_text and not [b for b in redrawn.blocks if b["type"] == "actions"]
    bot.sim.click(OLGA, on=olgas, action_id="usage_release")
    bot.settle()
    bot.world.run()
    [ask] = _asks(bot)
    assert (ask.status, ask.decided_how) == ("released", "owner")
    assert not bot.world.holds("alice@acme.test", "sf-reports")
