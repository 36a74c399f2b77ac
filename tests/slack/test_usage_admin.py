"""``/access-admin usage`` through signed Slack requests: IT sees the licenses summary and starts a pass
now; anyone else is refused and the refusal audited; a vendor's error text is shown escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.timers.service import TimerService
from bot.usage import collect
from bot.usage.timers import UsageTimer
from connectors.errors import TransientError
from tests.slack.harness import BOB, IVAN, running_bot
from tests.support.deps import due_rows
from tests.usage.conftest import USAGE_CATALOG, holding


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=USAGE_CATALOG) as sw:
        yield sw


def _answer(sw, user: str, text: str) -> str:
    seen = len(sw.fake.ephemerals(user))
    assert sw.sim.slash(user, "/access-admin", text).status == 200
    return sw.fake.wait_until(lambda: sw.fake.ephemerals(user)[seen:], what="the answer")[-1].visible_text


def _seats(sw) -> None:
    for email in ("alice@acme.test", "bob@acme.test", "dana@acme.test"):
        holding(sw.world, email, "salesforce:sales-cloud")
    sw.world.advance(days=60)
    now = sw.world.clock.now()
    sw.world.mem.last_seen.update({"alice@acme.test": now - timedelta(days=45), "bob@acme.test": now,
                                   "dana@acme.test": None})
    assert collect.collect(sw.deps, "mem").status == "complete"


def test_it_sees_the_licenses_summary_and_others_are_refused(bot):
    _seats(bot)
    shown = _answer(bot, IVAN, "usage")
    assert "Salesforce (Sales Cloud): 3 seats, 1 active, 1 inactive, 1 unknown · saves USD 150.00/month" in shown
    assert "Potential monthly savings (known usage only): USD 150.00. Reclaimed: 0 seat(s)." in shown
    assert "Only IT admins can see usage and licenses" in _answer(bot, BOB, "usage")
    assert [e.detail["code"] for e in bot.audit("refused.usage.licenses")] == ["not_authorized"]
    assert "usage collect CONNECTOR" in _answer(bot, IVAN, "usage what")
    assert "/access-admin usage" in _answer(bot, IVAN, "help")


def test_a_failed_pass_is_said_with_the_vendors_text_escaped(bot):
    _seats(bot)
    bot.world.mem.activity_failures.append(TransientError("HTTP 503 <!channel> from the target"))
    assert collect.collect(bot.deps, "mem").status == "failed"
    shown = _answer(bot, IVAN, "usage")
    assert "3 unknown" in shown and "usage not used: the last collection of mem failed" in shown
    [answer] = bot.fake.ephemerals(IVAN)[-1:]
    assert "<!channel>" not in answer.text and "&lt;!channel&gt;" in answer.text


def test_collect_now_from_slack_moves_the_pass_and_the_timer_runs_it(bot):
    _seats(bot)
    bot.world.advance(hours=1)
    bot.world.mem.last_seen["dana@acme.test"] = bot.world.clock.now()
    assert "Only IT admins can collect usage" in _answer(bot, BOB, "usage collect mem")
    assert "No connector 'nope'" in _answer(bot, IVAN, "usage collect nope")
    assert "Reading last activity from mem now" in _answer(bot, IVAN, "usage collect mem")
    [row] = due_rows(bot.store, UsageTimer.COLLECT)
    assert row.due_at == bot.world.clock.now()
    TimerService(bot.deps).sweep_once()
    bot.settle()
    assert "2 active, 1 inactive, 0 unknown" in _answer(bot, IVAN, "usage")
    assert [e.actor for e in bot.audit("usage.collect_requested")] == ["ivan@acme.test"]
