from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, RequestStatus, Verdict
from bot.domain.errors import InvalidDuration, NotAuthorized, NotFoundError
from bot.ledger import due
from bot.requests.bundle import submit_bundle
from bot.requests.cancel import cancel
from bot.store import queries
from bot.store.models import AccessRequest, DueAction
from bot.timers.service import TimerService
from tests.support.deps import close, deps_for
from tests.support.world import CATALOG, make_world

BUNDLED = CATALOG + """
bundles:
  payments-desk:
    description: what a payments clerk needs
    entitlements: [erp:payments-create, aws-prod:readonly]
  on-call:
    entitlements: [aws-prod:readonly, github:member]
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


def _submit_bundle(world, email="alice@acme.test", bundle="payments-desk", **kw):
    with world.store.uow() as s:
        submitted = submit_bundle(s, world.ctx(email), requester=directory.require(s, email), bundle=bundle, **kw)
        return submitted.lead.id, [r.id for r in submitted.requests], submitted.outcome


def _statuses(world) -> list[tuple[str, str]]:
    with world.store.uow() as s:
        return [(r.entitlement, r.status) for r in s.scalars(select(AccessRequest).order_by(AccessRequest.id))]


def test_a_bundle_is_one_approval_round_made_of_its_entitlements_own_steps(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, outcome = _submit_bundle(world)
    # payments-create asks for the manager; readonly is auto-approved for Engineering and adds no step.
    assert outcome == "pending" and [world.request(i).status for i in ids] == ["pending", "pending"]
    with world.store.uow() as s:
        dana = directory.require(s, "dana@acme.test")
        assert [r.id for r, _ in queries.pending_for_approver(s, dana.id)] == [lead]  # one thing to decide
    with pytest.raises(NotAuthorized, match=f"part of bundle request #{lead}"):
        world.decide("dana@acme.test", ids[1])
    assert world.decide("dana@acme.test", lead) is True
    assert [world.request(i).status for i in ids] == ["approved", "approved"]
    assert sorted(g.entitlement for g in world.grants_of("alice@acme.test")) == ["aws-prod:readonly",
                                                                               "erp:payments-create"]


def test_denying_a_bundle_denies_every_entitlement_in_it(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, _ = _submit_bundle(world)
    world.decide("dana@acme.test", lead, Verdict.DENY, reason="not in payments")
    assert [world.request(i).status for i in ids] == ["denied", "denied"]
    assert world.grants_of("alice@acme.test") == []


def test_an_unknown_bundle_changes_nothing(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    with pytest.raises(NotFoundError, match="payments-desk"):
        with world.store.uow() as s:
            submit_bundle(s, world.ctx("alice@acme.test"), requester=directory.require(s, "alice@acme.test"),
                          bundle="payments-dsk")
    with world.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(AccessRequest)) == 0


def test_one_entitlement_refused_refuses_the_whole_bundle_and_names_it(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    with pytest.raises(InvalidDuration, match="erp:payments-create in bundle payments-desk: 3 days is above"):
        _submit_bundle(world, duration=timedelta(days=3))  # longer than the policies' maximum
    assert _statuses(world) == []


def test_a_bundle_every_entitlement_of_which_needs_no_approval_is_granted_at_once(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, outcome = _submit_bundle(world, bundle="on-call")
    assert outcome == "approved" and world.request(lead).auto_approved
    assert _statuses(world) == [("aws-prod:readonly", "approved"), ("github:member", "approved")]
    world.run()
    assert {g.status for g in world.grants_of("alice@acme.test")} == {GrantStatus.ACTIVE}


def test_cancelling_any_part_withdraws_the_whole_bundle(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, _ = _submit_bundle(world)
    with world.store.uow() as s:
        cancel(s, world.ctx("alice@acme.test"), request_id=ids[1], by=directory.require(s, "alice@acme.test"))
    assert [world.request(i).status for i in ids] == ["cancelled", "cancelled"]


def test_asking_again_for_part_of_a_pending_bundle_replaces_the_bundle(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, _ = _submit_bundle(world)
    again = world.submit("alice@acme.test", "erp:payments-create")
    assert [world.request(i).status for i in ids] == ["superseded", "superseded"]
    assert world.request(again).status == "pending"


def test_nobody_deciding_in_time_times_out_every_entitlement(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, BUNDLED)
    lead, ids, _ = _submit_bundle(world)
    with world.store.uow() as s:
        assert [row.ref_id for row in s.scalars(select(DueAction).where(DueAction.kind == due.LedgerKind.REQUEST_TIMEOUT))] \
            == [str(lead)]  # one timeout, the bundle's
    world.advance(days=4)
    deps = deps_for(world)
    try:
        TimerService(deps).sweep_once()  # the request-timeout job, as the worker runs it
    finally:
        close(deps)
    assert [world.request(i).status for i in ids] == [RequestStatus.TIMED_OUT, RequestStatus.TIMED_OUT]
