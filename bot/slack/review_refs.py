"""Button values and private_metadata of the access-review surfaces: pointers only, never trusted
(every click re-reads the item and the operation checks that the clicker is its current reviewer)."""

from __future__ import annotations

from bot.slack.metadata import Meta


class ReviewRef(Meta):
    """A reviewer's review of one campaign, at a page, grouped by person or by entitlement."""

    campaign_id: int
    page: int = 0
    group: str = "person"


class ReviewItemRef(Meta):
    item_id: int


class ReviewReasonForm(Meta):
    """The reason modal pushed over the review modal: which item, which verdict, which view to redraw."""

    item_id: int
    verdict: str
    parent_view_id: str
    campaign_id: int
    page: int = 0
    group: str = "person"


class KeepAllForm(Meta):
    campaign_id: int
    parent_view_id: str
    group: str = "person"
