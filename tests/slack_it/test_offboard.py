"""/offboard: IT admins only; the plan per system before anything happens; a live report in the IT
channel with ✅ / ❌ per system and Retry; scheduled leave; people who cannot be offboarded."""

from __future__ import annotations

from datetime import datetime, timezone

import typer
from typer.testing import CliRunner

from bot.cli.offboard import offboard_app
from bot.domain.enums import GrantStatus
from bot.offboarding import jobs
from bot.store.models import Offboarding
from connectors.errors import AuthError
from tests.slack.harness import BOB, IVAN, action_ids
from tests.slack_it.conftest import DESK_CHANNEL, IT_CHANNEL
from tests.slack_it.helpers import holding
from tests.support.deps import fire_due

GRANTS = ("github:member", "wiki:editor")
_CLI = typer.Typer()
_CLI.add_typer(offboard_app, name="offboard")


def _plan(bot, user: str, text: str):
    since = bot.fake.last_seq
    ack = bot.sim.slash(user, "/offboard", text)
    assert ack.status == 200 and not ack.json, ack.body  # no ephemeral: the modal answers
    bot.fake.wait_for_call("views.update", after=since, ok=True, timeout=10)
    return bot.fake.modal_stack(user)[-1]


def _report(bot, headline: str):
    def find():
        return [m for m in bot.fake.messages_in(IT_CHANNEL) if "Offboarding #" in m.visible_text
                and headline in m.visible_text]
    try:
        return bot.fake.wait_until(find, timeout=20, what=f"the report saying {headline!r}")[-1]
    except AssertionError:
        shown = [m.visible_text for m in bot.fake.messages_in(IT_CHANNEL)]
        raise AssertionError(f"no report saying {headline!r}; the IT channel shows {shown}") from None


def _flat(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines())


def test_someone_who_is_not_an_it_admin_is_refused_and_audited(bot):
    holding(bot, "alice@acme.test", "wiki:editor")
    ack = bot.sim.slash(BOB, "/offboard", "@alice")
    assert "Only IT admins can offboard people" in bot.fake.ephemerals(BOB)[-1].visible_text
    assert ack.status == 200 and bot.fake.count("views.open") == 0
    assert [a.detail["code"] for a in bot.audit("refused.offboard")] == ["not_authorized"]
    assert [g.status for g in bot.grants_of("alice@acme.test")] == [GrantStatus.ACTIVE]


def test_preview_confirm_and_a_report_per_system_with_retry_for_the_failure(bot):
    grant_ids = [holding(bot, "alice@acme.test", ref) for ref in GRANTS]
    plan = _plan(bot, IVAN, "@alice")
    text = plan.visible_text
    for shown in ("*gh*\n• suspend account\n• end sessions\n• remove github:member",
                  "*mem*\n• suspend account\n• end sessions\n• remove wiki:editor", "*desk*\n• suspend account"):
        assert shown in text
    assert plan.body["submit"]["text"] == "Offboard now" and bot.grants_of("alice@acme.test")[0].status == "active"

    bot.world.connectors["gh"].fail_next(AuthError("the GitHub token was revoked"))
    done = bot.sim.submit(IVAN, plan.id, {"offboard_reason": "last day was Friday"})
    assert "has started" in done.top.visible_text and f"<#{IT_CHANNEL}>" in done.top.visible_text

    report = _report(bot, "Finished, with failures")
    body = _flat(report.visible_text)
    gh = body.split("❌ *gh*\n", 1)[1].split("\n✅ *mem*", 1)[0].splitlines()
    [failed] = [line for line in gh if line.startswith("❌")]  # whichever gh call ran first
    assert "auth: the GitHub token was revoked (will not retry by itself)" in failed and len(gh) == 3
    assert "✅ *mem*\n✅ suspend account\n✅ end sessions\n✅ remove wiki:editor" in body
    assert "⏳ *desk*\n⏳ suspend account: waiting for the target or an IT task" in body
    assert "Reason: last day was Friday" in body and action_ids(report.blocks) == ["retry_offboarding"]

    bot.sim.click(BOB, on=report.ref, action_id="retry_offboarding")
    assert "Only IT admins can retry offboardings" in bot.fake.wait_until(
        lambda: bot.fake.ephemerals(BOB), what="Bob refused")[-1].visible_text
    bot.sim.click(IVAN, on=report.ref, action_id="retry_offboarding")
    waiting = _report(bot, "Waiting for the last steps")
    assert "✅ *gh*" in waiting.visible_text and action_ids(waiting.blocks) == []
    assert {g.id: g.status for g in bot.grants_of("alice@acme.test")} == {i: GrantStatus.REVOKED for i in grant_ids}
    assert all("alice@acme.test" not in members for members in bot.world.connectors["gh"].members.values())

    assert _cli_report(bot, "alice@acme.test").startswith("Offboarding #1 of alice@acme.test: waiting\n")
    [task] = [m for m in bot.fake.messages_in(DESK_CHANNEL) if "Suspend the account" in m.visible_text]
    bot.sim.click(IVAN, on=task.ref, action_id="task_done")
    # The last step done finishes the offboarding with it: no timer, no resume job.
    bot.fake.wait_until(lambda: "Done: everything is removed" in bot.fake.message(*report.ref).visible_text,
                        what="the headline saying done")
    assert "✅ *desk*" in bot.fake.message(*report.ref).visible_text
    shown = _cli_report(bot, "alice@acme.test")
    assert shown.startswith("Offboarding #1 of alice@acme.test: done\n") and "0 pending" in shown, shown
    assert len([m for m in bot.fake.messages_in(IT_CHANNEL) if "Offboarding #" in m.visible_text]) == 1
    with bot.store.uow() as s:
        [record] = s.query(Offboarding).all()
        assert record.status == "done" and record.finished_at == bot.world.clock.now()


def test_cant_do_on_the_last_task_finishes_the_offboarding_with_its_failure(bot):
    holding(bot, "alice@acme.test", "wiki:editor")
    plan = _plan(bot, IVAN, "@alice")
    bot.sim.submit(IVAN, plan.id, {"offboard_reason": "left"})
    report = _report(bot, "Waiting for the last steps")
    # the report can be drawn before the desk's task card is posted (both follow the same commit)
    task = bot.fake.wait_until(lambda: next((m for m in bot.fake.messages_in(DESK_CHANNEL)
                                             if "Suspend the account" in m.visible_text), None),
                               what="the manual task card in the desk channel")
    assert [m for m in bot.fake.messages_in(DESK_CHANNEL) if "Suspend the account" in m.visible_text] == [task]
    since = bot.fake.last_seq
    bot.sim.click(IVAN, on=task.ref, action_id="task_cannot")
    bot.fake.wait_for_call("views.open", after=since, ok=True, timeout=10)
    bot.sim.submit(IVAN, bot.fake.modal_stack(IVAN)[-1].id, {"task_reason": "The badge system is offline"})
    bot.fake.wait_until(lambda: "Finished, with failures" in bot.fake.message(*report.ref).visible_text,
                        what="the headline saying finished with failures")
    shown = _cli_report(bot, "alice@acme.test")
    assert shown.startswith("Offboarding #1 of alice@acme.test: partial\n") and "The badge system is offline" in shown and "0 pending" in shown


def test_a_manual_system_without_accounts_gets_only_its_real_steps(bot):
    request_id = bot.world.submit("alice@acme.test", "doors:hq")
    bot.world.run()
    bot.settle()
    [grant_task] = [m for m in _desk_cards(bot) if "doors:hq in Door badges" in m.visible_text]
    bot.sim.click(IVAN, on=grant_task.ref, action_id="task_done")
    bot.fake.wait_until(lambda: bot.request(request_id).grant_id and bot.grants_of("alice@acme.test")[0].status
                        == GrantStatus.ACTIVE, what="the badge handed out")

    text = _plan(bot, IVAN, "@alice").visible_text
    assert "*doors*\n• remove doors:hq" in text and "*desk*\n• suspend account" in text
    assert "suspend account" not in text.split("*doors*", 1)[1].split("*", 1)[0]
    bot.sim.submit(IVAN, bot.fake.modal_stack(IVAN)[-1].id, {"offboard_reason": "left"})
    report = _report(bot, "Waiting for the last steps")
    assert "⏳ *doors*\n⏳ remove doors:hq" in _flat(report.visible_text)

    def open_tasks():
        found = [m for m in _desk_cards(bot)[1:] if action_ids(m.blocks)]
        return found if len(found) >= 2 else None
    tasks = bot.fake.wait_until(open_tasks, what="the two offboarding tasks")
    bot.settle()
    assert len([m for m in _desk_cards(bot)[1:] if action_ids(m.blocks)]) == 2
    assert not any("Door badges account" in m.visible_text for m in tasks)
    [remove] = [m for m in tasks if "Remove doors:hq" in m.visible_text]
    [suspend] = [m for m in tasks if "Badge office account" in m.visible_text]
    for task in (remove, suspend):  # the two steps that exist; no meaningless one holds it open
        bot.sim.click(IVAN, on=task.ref, action_id="task_done")
    bot.fake.wait_until(lambda: "Done: everything is removed" in bot.fake.message(*report.ref).visible_text,
                        what="the offboarding done")


def _desk_cards(bot):
    return [m for m in bot.fake.messages_in(DESK_CHANNEL) if "Manual task #" in m.visible_text and not m.thread_ts]


def _cli_report(bot, email: str) -> str:
    result = CliRunner().invoke(_CLI, ["offboard", "report", email], obj=bot.deps)
    return result.output


def test_a_scheduled_offboarding_is_announced_then_runs_at_its_time(bot):
    holding(bot, "alice@acme.test", "wiki:editor")
    plan = _plan(bot, IVAN, "@alice at 2026-11-03 18:00")  # the clock says 2026-11-02 09:00 UTC
    assert "on <!date^" in plan.visible_text and "|2026-11-03 17:00 UTC> (2026-11-03 18:00 Europe/Paris)" in plan.visible_text
    assert plan.body["submit"]["text"] == "Schedule"
    done = bot.sim.submit(IVAN, plan.id, {})
    assert "is scheduled for" in done.top.visible_text
    report = _report(bot, "Scheduled")
    assert "All access ends" in report.visible_text and bot.world.holds("alice@acme.test", "wiki-editors")

    with bot.store.uow() as s:
        assert s.query(Offboarding).one().scheduled_for == datetime(2026, 11, 3, 17, 0, tzinfo=timezone.utc)
    bot.world.clock.set(datetime(2026, 11, 3, 17, 0, tzinfo=timezone.utc))
    fire_due(bot.deps, jobs.HANDLERS)
    bot.settle()
    assert "Waiting for the last steps" in bot.fake.message(*report.ref).visible_text  # desk: an IT task
    assert not bot.world.holds("alice@acme.test", "wiki-editors")
    with bot.store.uow() as s:
        [record] = s.query(Offboarding).all()
        assert record.started_at == bot.world.clock.now() and record.requested_by == "system:timer"


def test_people_who_cannot_be_offboarded_get_a_clear_answer(bot):
    problem = bot.sim.slash(IVAN, "/offboard", "@nobody-here")
    assert "Mention the person to offboard" in bot.fake.ephemerals(IVAN)[-1].visible_text and problem.status == 200
    outsider = _plan(bot, IVAN, "@mallory")
    assert "mallory@elsewhere.test is not in accessbot's directory" in outsider.visible_text
    assert not outsider.body.get("submit")
    herself = _plan(bot, IVAN, "@ivan")
    assert "You cannot offboard yourself" in herself.visible_text
    past = _plan(bot, IVAN, "@alice at 2026-11-01 10:00")
    assert "has passed" in past.visible_text
    with bot.store.uow() as s:
        assert s.query(Offboarding).count() == 0
