"""What movers, their managers and IT hear about from the lifecycle rules."""

from __future__ import annotations

from datetime import timedelta

from bot.directory import service as directory
from bot.ledger import due
from bot.ledger.events import happened
from bot.lifecycle.timers import LifecycleKind
from bot.lifecycle.event_names import LifecycleEventName
from bot.offboarding.events import ReactivationEvent
from tests.slack.harness import ALICE, DANA
from tests.slack_it.conftest import IT_CHANNEL
from tests.slack_it.helpers import holding


def test_after_a_move_the_person_and_their_manager_hear_what_ends_and_when(bot):
    grant_id = holding(bot, "alice@acme.test", "wiki:editor")
    kept = holding(bot, "alice@acme.test", "github:member")
    at = bot.world.clock.now() + timedelta(days=7)
    with bot.store.uow() as s:  # what bot.lifecycle.mover_recheck writes after a move
        alice = directory.require(s, "alice@acme.test")
        due.schedule(s, LifecycleKind.POLICY_REVOKE, grant_id, at, now=bot.world.clock.now(), payload={"reason": "moved"})
        happened(s, bot.world.ctx(), LifecycleEventName.ACCESS_ENDING, subject_type="person", subject_id=alice.id,
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
        happened(s, bot.world.ctx(), LifecycleEventName.BIRTHRIGHT_SKIPPED, subject_type="person", subject_id=bob.id,
                 person_email=bob.email, notify=True,
                 detail={"entitlement": "erp:payments-approve", "rule": "finance",
                         "reason": "conflicts with erp:payments-create (payments-four-eyes)", "channel": IT_CHANNEL})
    bot.settle()
    [note] = [m for m in bot.fake.messages_in(IT_CHANNEL) if "Birthright access" in m.visible_text]
    assert "*erp:payments-approve* was not given to bob@acme.test: conflicts with" in note.visible_text


def test_it_hears_which_accounts_a_rehire_brings_back_and_that_old_access_is_not_restored(bot):
    with bot.store.uow() as s:  # what bot.offboarding.reactivation.plan writes
        happened(s, bot.world.ctx(), ReactivationEvent.PLANNED, subject_type="offboarding", subject_id=7,
                 person_email="bob@acme.test", notify=True,
                 detail={"person_email": "bob@acme.test", "systems": ["okta", "google"], "channel": IT_CHANNEL,
                         "left_suspended": [{"system": "entra", "reason": "disabled by <someone> else"}]})
    bot.settle()
    [note] = [m for m in bot.fake.messages_in(IT_CHANNEL) if "re-hired" in m.visible_text]
    assert "Reactivating the accounts accessbot suspended: okta, google." in note.visible_text
    assert "entra left suspended: disabled by &lt;someone&gt; else" in note.visible_text
    assert "Earlier access is not restored" in note.visible_text
