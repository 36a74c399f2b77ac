"""Manual task cards: IT answers Done or Can't do; everyone else is refused; every copy is redrawn."""

from __future__ import annotations

from bot.domain.enums import GrantStatus
from bot.ledger.event_names import TaskEvent
from tests.slack.harness import ALICE, BOB, IVAN, action_ids
from tests.slack_it.conftest import DESK_CHANNEL
from tests.slack_it.helpers import grant_status, timer_event


def _open_task(bot) -> tuple[int, int]:
    request_id = bot.world.submit("alice@acme.test", "badge:lobby")
    grant_id = bot.request(request_id).grant_id
    bot.world.run()
    bot.settle()
    return grant_id, request_id


def _cards(bot):
    return [m for m in bot.fake.messages_in(DESK_CHANNEL) if "Manual task #" in m.visible_text and not m.thread_ts]


def test_done_by_it_activates_the_grant_and_redraws_every_copy_while_others_are_refused(bot):
    grant_id, request_id = _open_task(bot)
    [card] = _cards(bot)
    assert "Enable the lobby badge of Alice (alice@acme.test) in the door system." in card.visible_text
    assert f"Request #{request_id}" in card.visible_text and action_ids(card.blocks) == ["task_done", "task_cannot"]
    task_id = int(card.visible_text.split("Manual task #")[1].split(":")[0])

    timer_event(bot, TaskEvent.REPOSTED, task_id=task_id, escalate=True)
    first, again = _cards(bot)
    [ping] = [m for m in bot.fake.messages_in(DESK_CHANNEL) if m.thread_ts == again.ts]
    assert "<@U0IVAN0001>" in ping.visible_text and "Please pick it up" in ping.visible_text

    bot.sim.click(BOB, on=first.ref, action_id="task_done")
    refusal = bot.fake.wait_until(lambda: bot.fake.ephemerals(BOB), what="Bob's refusal")[-1]
    assert "Only IT admins can complete provisioning tasks" in refusal.visible_text
    assert [a.detail["code"] for a in bot.audit("refused.complete_task")] == ["not_authorized"]
    assert grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.PROVISIONING

    bot.sim.click(IVAN, on=again.ref, action_id="task_done")
    bot.fake.wait_until(lambda: grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.ACTIVE, what="active")
    bot.settle()
    for copy in _cards(bot):
        assert "Done by <@U0IVAN0001>" in copy.visible_text and action_ids(copy.blocks) == []
    assert any("You now have" in m.visible_text and "Badge office lobby" in m.visible_text for m in bot.fake.dm(ALICE))


def test_cant_do_with_a_reason_fails_the_grant_and_tells_the_person_why(bot):
    grant_id, _ = _open_task(bot)
    [card] = _cards(bot)
    bot.sim.click(IVAN, on=card.ref, action_id="task_cannot")
    form = bot.fake.wait_until(lambda: bot.fake.modal_stack(IVAN), what="the reason form")[-1]
    done = bot.sim.submit(IVAN, form.id, {"task_reason": "The door system is being replaced until Friday"})
    assert done.response_action == "update" and "Recorded as not possible" in done.top.visible_text

    assert grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.FAILED
    bot.settle()
    [shown] = _cards(bot)
    assert "Can't be done, says <@U0IVAN0001>" in shown.visible_text and action_ids(shown.blocks) == []
    told = [m.visible_text for m in bot.fake.dm(ALICE)]
    assert any("IT could not set up *Badge office lobby*" in t and "being replaced until Friday" in t for t in told)


def test_a_second_answer_on_a_stale_copy_changes_nothing(bot):
    grant_id, _ = _open_task(bot)
    [card] = _cards(bot)
    bot.sim.click(IVAN, on=card.ref, action_id="task_done")
    bot.fake.wait_until(lambda: grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.ACTIVE, what="active")
    assert "Recorded: task #1 is done" in bot.fake.wait_until(lambda: bot.fake.ephemerals(IVAN), what="ok")[-1].text
    bot.sim.click(IVAN, on=card, action_id="task_cannot")  # the snapshot taken before it was redrawn
    refusal = bot.fake.wait_until(lambda: bot.fake.ephemerals(IVAN)[1:], what="Ivan's notice")[-1]
    assert "already marked done" in refusal.visible_text
    assert grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.ACTIVE
    assert bot.fake.modal_stack(IVAN) == []


def test_a_click_that_fails_after_its_ack_is_answered_at_once_and_told(bot):
    """Can't do acks, then opens the reason form; Slack refusing the trigger must not hold the answer
    (Bolt clears an ack whose listener raises and then waits out its 3 s timeout)."""
    from tests.support.fake_slack import Outcome

    grant_id, _ = _open_task(bot)
    [card] = _cards(bot)
    bot.fake.inject("views.open", Outcome.error("expired_trigger_id"))
    ack = bot.sim.click(IVAN, on=card.ref, action_id="task_cannot")
    assert ack.status == 200
    told = bot.fake.wait_until(lambda: [m for m in bot.fake.dm(IVAN) + bot.fake.ephemerals(IVAN)
                                        if "Something went wrong" in m.visible_text], what="Ivan is told")
    assert told and grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.PROVISIONING
