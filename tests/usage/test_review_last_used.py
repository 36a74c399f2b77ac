"""Access reviews show when the holder last used the access, from the usage ledger ("unknown" otherwise)."""

from __future__ import annotations

from datetime import timedelta

from bot.directory import service as directory
from bot.reviews.start import start_campaign
from bot.slack.readmodels.review import review_page
from bot.slack.views.review import render_review_modal
from bot.usage import collect
from tests.support.deps import close, deps_for
from tests.support.world import make_world
from tests.usage.conftest import USAGE_CATALOG, holding, used

REVIEWS = """
reviews:
  - name: salesforce
    scope: {resources: [salesforce]}
    reviewers: [owners]
    duration: 10d
    reminders: []
"""


def test_the_review_row_carries_the_ledger_last_use(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, catalog_text=USAGE_CATALOG + REVIEWS)
    deps = deps_for(world)
    try:
        holding(world, "alice@acme.test", "salesforce:sales-cloud")
        holding(world, "bob@acme.test", "salesforce:sales-cloud")
        used(world, "alice@acme.test", 3)
        used(world, "bob@acme.test", None)
        collect.collect(deps, "mem")
        with world.store.uow() as s:
            campaign = start_campaign(s, world.ctx("ivan@acme.test"), name="salesforce",
                                      by=directory.require(s, "ivan@acme.test")).id
        with world.store.uow() as s:
            olga = directory.require(s, "olga@acme.test")
            page = review_page(s, world.catalog, campaign, olga.id)
        by_holder = {row.holder_name: row.last_used for row in page.rows}
        assert by_holder["Alice"] == world.clock.now() - timedelta(days=3)
        assert by_holder["Bob"] is None
        text = str(render_review_modal(page))
        assert "last used unknown" in text and "last used <!date^" in text
    finally:
        close(deps)
