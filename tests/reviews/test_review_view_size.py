"""A reviewer with 500 items: every page of the review modal is valid Block Kit, and the pages show
every item exactly once."""

from __future__ import annotations

from sqlalchemy import insert

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, Trigger
from bot.ledger.context import Actor
from bot.operations import perform
from bot.reviews.start import start_campaign
from bot.slack.readmodels.review import review_page
from bot.slack.views.review import render_review_modal
from bot.store.models import Grant
from tests.support.blockkit import view_errors


def test_500_items_for_one_reviewer_page_within_block_kit(world, deps):
    now = world.clock.now()
    with world.store.uow() as s:
        for n in range(500):
            directory.upsert(s, directory.PersonInput(email=f"e{n}@acme.test", name=f"Engineer <{n}>",
                                                      department="Engineering", title="Engineer",
                                                      manager_email="dana@acme.test"),
                             source="test", now=now)
        people = [directory.require(s, f"e{n}@acme.test").id for n in range(500)]
        s.execute(insert(Grant), [dict(person_id=pid, entitlement="aws-prod:readonly", connector="mem",
                                       target="aws-prod-ro", status=GrantStatus.ACTIVE, starts_at=now,
                                       activated_at=now, granted_by="dana@acme.test", created_at=now)
                                  for pid in people])
    campaign = perform(deps, Actor("ivan@acme.test", Trigger.API), "review.start", lambda s, ctx: start_campaign(
        s, ctx, name="by-manager-keep", by=directory.require(s, "ivan@acme.test")).id)
    with world.store.uow() as s:
        dana = directory.require(s, "dana@acme.test").id
        first = review_page(s, world.catalog, campaign, dana, 0)
        assert first.total == 500 and first.pages == 34
        for group in ("person", "entitlement"):
            seen = []
            for number in range(first.pages):
                page = review_page(s, world.catalog, campaign, dana, number, group)
                view = render_review_modal(page)
                assert view_errors(view) == [], (group, number)
                seen += [row.item_id for row in page.rows]
            assert len(seen) == 500 and len(set(seen)) == 500, group
        assert review_page(s, world.catalog, campaign, dana, 99).page == 33  # past the end: the last page
    last = render_review_modal(page)
    assert "Page 34 of 34" in str(last) and "Next" not in str(last)
