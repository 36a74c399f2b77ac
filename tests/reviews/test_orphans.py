"""Orphan accounts (found by reconcile, explained by no grant) reviewed as Slack would drive it: Keep adopts
the account into the ledger as a permanent grant, Revoke removes it at the target through the provisioning
runner and the reviewer sees the target's confirmation; the IT message follows every decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus
from bot.reconcile.run import reconcile
from bot.reviews import queries
from bot.store.models import Grant, OrphanFinding, ReviewItem
from tests.slack.harness import CATALOG, DANA, IVAN, OLGA, running_bot
from tests.slack.test_reviews import REVIEWS, _open_review, _start


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS) as sw:
        yield sw


def _orphan_item(sw, email: str) -> ReviewItem:
    with sw.store.uow() as s:
        holder = directory.require(s, email)
        return s.scalar(select(ReviewItem).where(ReviewItem.holder_id == holder.id, ReviewItem.kind == "orphan"))


def test_orphan_accounts_are_kept_into_the_ledger_or_revoked_at_the_target(bot):
    bot.world.mem.members["wiki-editors"].add("alice@acme.test")  # added in the wiki's own console
    bot.world.mem.members["gh-members"].add("bob@acme.test")
    bot.world.mem.members["gh-members"].add("stranger@elsewhere.test")  # nobody in the directory: left to IT
    assert reconcile(bot.deps).orphans == 3
    assert "0 of 2 reviewed" in _start(bot)
    [follow] = [m for m in bot.fake.dm(IVAN) if "Access review github" in m.visible_text]

    # Dana (Alice's manager; the wiki has no owners) keeps the account: it becomes a permanent grant.
    alice = _orphan_item(bot, "alice@acme.test")
    view = _open_review(bot, DANA)
    assert "not granted through accessbot" in view.visible_text
    bot.sim.click(DANA, on=view.id, action_id="review_keep", block_id=f"review_actions:{alice.id}")
    bot.settle()
    assert "is running: 1 of 2 reviewed" in bot.fake.message(follow.channel, follow.ts).visible_text
    with bot.store.uow() as s:
        kept = s.get(ReviewItem, alice.id)
        grant = s.get(Grant, kept.grant_id)
        assert kept.status == "kept" and grant.status == GrantStatus.ACTIVE and grant.ends_at is None
        assert (grant.target, grant.granted_by) == ("wiki-editors", "review:dana@acme.test")

    # Olga (GitHub's owner) revokes Bob's account with a reason; the target confirms the removal.
    bob = _orphan_item(bot, "bob@acme.test")
    view = _open_review(bot, OLGA)
    since = bot.fake.last_seq
    bot.sim.click(OLGA, on=view.id, action_id="review_revoke", block_id=f"review_actions:{bob.id}")
    bot.fake.wait_for_call("views.push", after=since, ok=True)
    bot.sim.submit(OLGA, bot.fake.modal_stack(OLGA)[-1].id, {"reason": "left the sales <@U0>  team"})
    bot.settle()
    bot.world.run()
    assert "bob@acme.test" not in bot.world.mem.members["gh-members"]
    view = _open_review(bot, OLGA)
    assert "removal confirmed by the target" in view.visible_text
    assert "is running: 2 of 2 reviewed" in bot.fake.message(follow.channel, follow.ts).visible_text

    with bot.store.uow() as s:
        rows = {row["holder"]: row for row in queries.report_rows(s, queries.find_campaign(s, "github"))}
    assert rows["bob@acme.test"]["kind"] == "orphan" and rows["bob@acme.test"]["revoke_status"] == "succeeded"
    assert rows["bob@acme.test"]["revoke_confirmed_at"] and rows["bob@acme.test"]["audit_seq"]
    assert rows["alice@acme.test"]["decision"] == "kept" and rows["alice@acme.test"]["grant_id"] == grant.id

    # The next reconcile finds both explained (a grant, a removal); only the stranger is left.
    again = reconcile(bot.deps)
    assert [o.principal for s in again.systems for o in s.orphans] == ["stranger@elsewhere.test"]
    with bot.store.uow() as s:
        open_ = s.scalars(select(OrphanFinding.principal).where(OrphanFinding.fixed_at.is_(None))).all()
    assert open_ == ["stranger@elsewhere.test"]


def test_an_orphan_gone_from_the_target_closes_its_item(bot):
    bot.world.mem.members["wiki-editors"].add("alice@acme.test")
    reconcile(bot.deps)
    _start(bot)
    bot.world.mem.members["wiki-editors"].discard("alice@acme.test")  # removed by hand meanwhile
    reconcile(bot.deps)
    item = _orphan_item(bot, "alice@acme.test")
    view = _open_review(bot, DANA)
    bot.sim.click(DANA, on=view.id, action_id="review_keep", block_id=f"review_actions:{item.id}")
    bot.settle()
    with bot.store.uow() as s:
        assert s.get(ReviewItem, item.id).status == "closed"
        assert not s.scalars(select(Grant).where(Grant.person_id == item.holder_id)).all()  # nothing adopted
