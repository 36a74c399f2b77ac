from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.directory import service as directory
from bot.domain.errors import NotFoundError
from bot.store import queries
from bot.store.models import AccessRequest
from bot.workflow.bundle import submit_bundle
from tests.support.world import CATALOG, make_world

BUNDLED = CATALOG + """
bundles:
  payments-desk:
    description: what a payments clerk needs
    entitlements: [erp:payments-create, aws-prod:readonly]
"""


def test_approvals_waiting_on_a_person_follow_the_current_step(world):
    rid = world.submit("alice@acme.test", "github:admin", justification="release duty")
    with world.store.uow() as s:
        dana, olga = directory.require(s, "dana@acme.test"), directory.require(s, "olga@acme.test")
        assert [r.id for r, _ in queries.pending_for_approver(s, dana.id)] == [rid]
        assert queries.pending_for_approver(s, olga.id) == []
    world.decide("dana@acme.test", rid)
    with world.store.uow() as s:
        assert queries.pending_for_approver(s, dana.id) == []
        assert [r.id for r, _ in queries.pending_for_approver(s, olga.id)] == [rid]


def test_a_bundle_requests_each_entitlement_under_its_own_policy(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    with world.store.uow() as s:
        results = submit_bundle(s, world.ctx("alice@acme.test"), requester=directory.require(s, "alice@acme.test"),
                                bundle="payments-desk")
        outcomes = {r.request.entitlement: r.outcome for r in results}
    # payments-create waits for the manager; readonly is auto-approved for Engineering.
    assert outcomes == {"erp:payments-create": "pending", "aws-prod:readonly": "approved"}


def test_an_unknown_bundle_changes_nothing(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    with pytest.raises(NotFoundError, match="payments-desk"):
        with world.store.uow() as s:
            submit_bundle(s, world.ctx("alice@acme.test"), requester=directory.require(s, "alice@acme.test"),
                          bundle="payments-dsk")
    with world.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(AccessRequest)) == 0
