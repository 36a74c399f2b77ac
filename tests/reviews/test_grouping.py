"""The reviewer's view grouped by person or by entitlement (a toggle), as Slack would drive it; the
grouping survives a decision's redraw and paging."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.reviews.conftest import holding
from tests.slack.harness import CATALOG, DANA, running_bot
from tests.slack.test_reviews import _open_review, cli

REVIEWS = """
reviews:
  - name: team
    scope: {resources: [github, wiki]}
    reviewers: [manager]
"""


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS) as sw:
        yield sw


def _headers(view) -> list[str]:
    return [b["text"]["text"] for b in view.blocks if b["type"] == "header"]


def test_the_reviewer_groups_by_person_or_by_entitlement(bot):
    for email in ("alice@acme.test", "bob@acme.test"):
        holding(bot.world, email, "github:member", "wiki:editor")
    assert CliRunner().invoke(cli, ["review", "start", "team", "--as", "ivan@acme.test"], obj=bot.deps).exit_code == 0
    bot.settle()
    view = _open_review(bot, DANA)
    assert _headers(view) == ["Alice (Engineer, Engineering)", "Bob (Account Executive, Sales)"]
    since = bot.fake.last_seq
    bot.sim.click(DANA, on=view.id, action_id="review_page:0:entitlement")
    bot.fake.wait_for_call("views.update", after=since, ok=True, view_id=view.id)
    grouped = bot.fake.modal_stack(DANA)[-1]
    labels = _headers(grouped)
    assert len(labels) == 2 and all("risk)" in label for label in labels) and "Group by person" in grouped.visible_text
    # A decision redraws the view grouped as it was.
    first = next(b["block_id"] for b in grouped.blocks if b.get("block_id", "").startswith("review_actions:"))
    since = bot.fake.last_seq
    bot.sim.click(DANA, on=grouped.id, action_id="review_keep", block_id=first)
    bot.fake.wait_for_call("views.update", after=since, ok=True, view_id=view.id)
    bot.settle()
    after = bot.fake.modal_stack(DANA)[-1]
    # Pending items first, so the decided one comes last, under its entitlement's header again.
    assert "1 of 4 reviewed" in after.visible_text and _headers(after)[:2] == labels and len(_headers(after)) == 3
