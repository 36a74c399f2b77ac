"""Ending access: expiry, overlapping grants, relinquish, offboarding."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionStatus, EndReason, GrantStatus, PersonStatus, RequestStatus
from bot.ledger import grants as ledger
from bot.ledger.end_grant import expire, relinquish
from bot.offboarding import engine, prepare
from bot.store.models import Grant
from tests.support.deps import close, deps_for


def _approved(world, email, ref, **kw):
    rid = world.submit(email, ref, **kw)
    if world.request(rid).status == RequestStatus.PENDING:
        world.decide("dana@acme.test", rid)
    world.run()
    return world.request(rid).grant_id


def test_expiry_revokes_at_the_target_and_records_it(world):
    gid = _approved(world, "alice@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    with world.store.uow() as s:
        assert expire(s, world.ctx(), grant_id=gid) is False  # not due yet: nothing happens
    world.advance(hours=1)
    with world.store.uow() as s:
        assert expire(s, world.ctx(), grant_id=gid) is True
    assert world.holds("alice@acme.test", "erp-pay-create")  # revocation is queued, not yet run
    world.run()
    [grant] = world.grants_of("alice@acme.test")
    assert grant.status == GrantStatus.EXPIRED
    assert not world.holds("alice@acme.test", "erp-pay-create")


def test_overlapping_grants_keep_access_until_the_last_one_ends(world):
    short = _approved(world, "alice@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    with world.store.uow() as s:
        # An admin-pushed, separate grant on the same target that lasts longer.
        alice = directory.require(s, "alice@acme.test")
        ent = world.catalog.entitlement("erp:payments-create")
        long = ledger.create(s, world.ctx("ivan@acme.test"), person=alice, entitlement=ent,
                             duration=timedelta(hours=8), starts_at=None, request=None, granted_by="admin").id
    world.run()
    world.advance(hours=1)
    with world.store.uow() as s:
        expire(s, world.ctx(), grant_id=short)
    world.run()
    assert world.holds("alice@acme.test", "erp-pay-create"), "the longer grant still covers the access"
    statuses = {g.id: g.status for g in world.grants_of("alice@acme.test")}
    assert statuses == {short: GrantStatus.EXPIRED, long: GrantStatus.ACTIVE}
    assert ("revoke", "alice@acme.test", "erp-pay-create") not in world.mem.calls
    world.advance(hours=7)
    with world.store.uow() as s:
        expire(s, world.ctx(), grant_id=long)
    world.run()
    assert not world.holds("alice@acme.test", "erp-pay-create")


def test_relinquish_ends_access_early(world):
    gid = _approved(world, "alice@acme.test", "erp:payments-create")
    with world.store.uow() as s:
        relinquish(s, world.ctx("alice@acme.test"), grant_id=gid, by=directory.require(s, "alice@acme.test"))
    world.run()
    [grant] = world.grants_of("alice@acme.test")
    assert (grant.status, grant.end_reason) == (GrantStatus.REVOKED, EndReason.RELINQUISHED)
    assert not world.holds("alice@acme.test", "erp-pay-create")


def test_offboarding_revokes_everything_and_cancels_pending_requests(world):
    _approved(world, "alice@acme.test", "erp:payments-create")
    _approved(world, "alice@acme.test", "aws-prod:readonly")
    _approved(world, "alice@acme.test", "github:member")
    pending = world.submit("alice@acme.test", "github:admin", justification="release duty")
    with world.store.uow() as s:
        record = prepare.start(s, world.ctx("ivan@acme.test"), person=directory.require(s, "alice@acme.test"),
                                      reason="left the company")
        offboarding_id = record.id
    world.run()  # the generic runner leaves an offboarding's calls to the offboarding engine
    assert world.holds("alice@acme.test", "erp-pay-create")
    deps = deps_for(world)
    try:
        engine.drive(deps, [offboarding_id])
    finally:
        close(deps)
    assert all(g.status == GrantStatus.REVOKED for g in world.grants_of("alice@acme.test"))
    assert all(not members or "alice@acme.test" not in members for members in world.mem.members.values())
    assert world.request(pending).status == RequestStatus.CANCELLED
    with world.store.uow() as s:
        assert directory.require(s, "alice@acme.test").status == PersonStatus.LEAVER
    calls = [a for a in world.actions() if a.offboarding_id == offboarding_id]
    assert sorted(a.action for a in calls) == ["end_sessions", "revoke", "revoke", "revoke", "suspend"]
    assert all(a.status == ActionStatus.SUCCEEDED for a in calls)
    assert "alice@acme.test" in world.mem.suspended


def test_a_failing_revocation_is_retried_and_shown_as_failed_not_expired(world):
    from connectors.errors import TransientError

    gid = _approved(world, "alice@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    world.advance(hours=1)
    world.mem.fail_next(*[TransientError("target down") for _ in range(3)])
    with world.store.uow() as s:
        expire(s, world.ctx(), grant_id=gid)
    for _ in range(3):
        world.run()
        world.advance(hours=1)
    with world.store.uow() as s:
        grant = s.get(Grant, gid)
        assert grant.status == GrantStatus.REVOKE_FAILED
        assert "target down" in grant.last_error
    assert world.holds("alice@acme.test", "erp-pay-create")
    world.run()  # the fourth attempt succeeds
    with world.store.uow() as s:
        assert s.get(Grant, gid).status == GrantStatus.EXPIRED
    assert not world.holds("alice@acme.test", "erp-pay-create")
