"""A review's Revoke reaches a real SCIM 2.0 server (scim2-server): the member leaves the group and the
evidence report records when the target confirmed it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, Trigger
from bot.operations import perform
from bot.reviews import decide as decisions
from bot.reviews import queries
from bot.reviews.start import start_campaign
from bot.store.models import ReviewCampaignRun, ReviewItem
from connectors.memory import MemoryConnector
from tests.connectors.conftest import scim_connector_for
from tests.reviews.conftest import holding
from tests.support.deps import close, deps_for
from tests.support.scim_server import ScimServer
from tests.support.builders import auto, dump, resource
from tests.support.world import make_world, world_document


@pytest.fixture
def scim():
    server = ScimServer().start()
    yield server
    server.stop()


def test_a_review_revoke_is_confirmed_by_the_scim_target(store, clock, tmp_path, scim):
    user = scim.add_user("alice@acme.test")  # userName = the email (the connector's default lookup)
    group = scim.add_group("okta-admins")
    document = world_document()
    document["resources"]["idp"] = resource("Identity provider", connector="scim", admins=auto(group))
    document["reviews"] = [{"name": "idp", "scope": {"resources": ["idp"]}, "reviewers": ["manager"]}]
    catalog = dump(document)
    world = make_world(store, clock, tmp_path, catalog,
                       connectors={"mem": MemoryConnector("mem"), "scim": scim_connector_for(scim, "scim")})
    deps = deps_for(world)
    deps.runs_background_work = False  # the test runs the runner itself
    try:
        holding(world, "alice@acme.test", "idp:admins")
        assert scim.member_ids(group) == {user}
        campaign = perform(deps, world.ctx("ivan@acme.test").actor, "review.start", lambda s, ctx: start_campaign(
            s, ctx, name="idp", by=directory.require(s, "ivan@acme.test")).id)
        with world.store.uow() as s:
            item_id = s.scalar(select(ReviewItem.id).where(ReviewItem.campaign_id == campaign))
        perform(deps, world.ctx("dana@acme.test", Trigger.SLACK).actor, "review.decide", lambda s, ctx: decisions.decide(
            s, ctx, item_id=item_id, reviewer=directory.require(s, "dana@acme.test"), verdict="revoke",
            reason="no longer on the identity team"))
        assert scim.member_ids(group) == {user}  # nothing happens at the target before the runner runs
        world.run()
        assert scim.member_ids(group) == set()  # removed at the target
        with world.store.uow() as s:
            [row] = queries.report_rows(s, s.get(ReviewCampaignRun, campaign))
        assert row["revoke_status"] == GrantStatus.REVOKED and row["revoke_confirmed_at"]
        assert row["connector"] == "scim" and row["reviewer"] == "dana@acme.test"
    finally:
        close(deps)
