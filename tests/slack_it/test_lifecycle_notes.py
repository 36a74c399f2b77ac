"""What movers, their managers and IT hear about from the lifecycle rules."""

from __future__ import annotations

from datetime import timedelta

from bot.directory import service as directory
from bot.workflow import due
from bot.workflow.events import happened
from tests.slack.harness import ALICE, DANA
from tests.slack_it.conftest import IT_CHANNEL
from tests.slack_it.helpers import holding


def test_after_a_move_the_person_and_their_manager_hear_what_ends_and_when(bot):
    grant_id = holding(bot, "alice@acme.test", "wiki:editor")
    kept = holding(bot, "alice@acme.test", "github:member")
    at = bot.world.clock.now() + timedelta(days=7)
    with bot.store.uow() as s:  # what bot.lifecycle.access_review writes after a move
        alice = directory.require(s, "alice@acme.test")
        due.schedule(s, due.POLICY_REVOKE, grant_id, at, now=bot.world.clock.now(), payload={"reason": "moved"})
        happened(s, bot.world.ctx(), "lifecycle.access_ending", subject_type="person", subject_id=alice.id,
                 person_email=alice.email, notify=True,
                 detail={"grants": [{"grant_id": grant_id, "entitlement": "wiki:editor", "revoke_at": at},
                                    {"grant_id": kept, "entitlement": "github:member", "revoke_at": at}]})
    bot.settle()
    [mine] = [m for m in bot.fake.dm(ALICE) if "After your move" in m.visible_text]
    assert "*Wiki editor* on <!date^" in mine.visible_text and "GitHub member" not in mine.visible_text
    [managers] = [m for m in bot.fake.dm(DANA) if "After <@U0ALICE001>'s move" in m.visible_text]
    assert "*Wiki editor*" in managers.visible_text


def test_what_the_bot_could_not_do_by_itself_reaches_the_it_channel(bot):
    with bot.store.uow() as s:
        bob = directory.require(s, "bob@acme.test")
        happened(s, bot.world.ctx(), "birthright.skipped", subject_type="person", subject_id=bob.id,
                 person_email=bob.email, notify=True,
                 detail={"entitlement": "erp:payments-approve", "rule": "finance",
                         "reason": "conflicts with erp:payments-create (payments-four-eyes)", "channel": IT_CHANNEL})
    bot.settle()
    [note] = [m for m in bot.fake.messages_in(IT_CHANNEL) if "Birthright access" in m.visible_text]
    assert "*erp:payments-approve* was not given to bob@acme.test: conflicts with" in note.visible_text
