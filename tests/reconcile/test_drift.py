"""Drift detection: report what the ledger does not explain; never add; never trust a failed list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.enums import GrantStatus
from bot.ledger.end_grant import expire
from bot.reconcile.run import reconcile, render
from connectors.errors import TransientError
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from tests.lifecycle.helpers import drain, outbox
from tests.support.deps import close, deps_for
from tests.support.world import make_world


class ListFailing(MemoryConnector):
    """The reference connector, with targets whose member listing fails (a 503, a timeout...)."""

    broken: set[str] = set()

    def list_members(self, target):
        if target.ref in self.broken:
            raise TransientError(f"503 while listing {target.ref}")
        return super().list_members(target)


def _world(store, clock, tmp_path, **options):
    world = make_world(store, clock, tmp_path)
    world.connectors = ConnectorSet({"mem": ListFailing("mem", options)})
    world.runner.connectors = world.connectors
    return world


@pytest.fixture
def world(store, clock, tmp_path):
    return _world(store, clock, tmp_path)


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def _grant(world, email, ref, **kw):
    rid = world.submit(email, ref, **kw)
    if world.request(rid).status == "pending":
        world.decide("dana@acme.test", rid)
    world.run()
    return world.request(rid).grant_id


def _by_system(result, name="mem"):
    return next(s for s in result.systems if s.system == name)


def test_access_the_ledger_does_not_explain_is_reported_and_left_alone(world, deps):
    _grant(world, "alice@acme.test", "wiki:editor")
    gid = _grant(world, "bob@acme.test", "erp:payments-create", duration=timedelta(hours=1))
    world.advance(hours=1)
    with world.store.uow() as s:
        expire(s, world.ctx(), grant_id=gid)
    world.run()
    world.mem.members["erp-pay-create"].add("bob@acme.test")  # put back by hand after expiry
    world.mem.members["wiki-editors"].add("erin@acme.test")  # added in the app's own console
    world.mem.members["wiki-editors"].add("stranger@elsewhere.test")
    world.mem.members["wiki-editors"].discard("alice@acme.test")  # removed in the app's console

    result = reconcile(deps)

    mem = _by_system(result)
    assert {(o.target, o.principal, o.kind) for o in mem.orphans} == {
        ("erp-pay-create", "bob@acme.test", "ended"), ("wiki-editors", "erin@acme.test", "unmanaged"),
        ("wiki-editors", "stranger@elsewhere.test", "unknown")}
    [missing] = mem.missing
    assert (missing.person_email, missing.entitlement) == ("alice@acme.test", "wiki:editor")
    assert result.revocations == [] and mem.mode == "report"
    assert "erin@acme.test" in world.mem.members["wiki-editors"]  # nothing removed...
    assert "alice@acme.test" not in world.mem.members["wiki-editors"]  # ...and nothing added
    [digest] = outbox(deps, "reconcile.digest")
    assert digest["channel"] == "C0ITOPS" and digest["totals"] == {"orphans": 3, "missing": 1, "errors": 0}
    assert "[unmanaged; erin@acme.test]" in render(result)


def test_a_failed_listing_is_never_taken_as_empty(store, clock, tmp_path):
    world = _world(store, clock, tmp_path, reconcile="revoke_orphans")
    deps = deps_for(world)
    try:
        _grant(world, "alice@acme.test", "wiki:editor")
        world.mem.members["wiki-editors"].add("erin@acme.test")
        ListFailing.broken = {"wiki-editors"}
        result = reconcile(deps)
    finally:
        ListFailing.broken = set()
        close(deps)
    mem = _by_system(result)
    assert mem.errors == {"wiki-editors": "transient: 503 while listing wiki-editors"}
    assert [o for o in mem.orphans if o.target == "wiki-editors"] == []
    assert [m for m in mem.missing if m.target == "wiki-editors"] == []
    assert result.revocations == [] and "erin@acme.test" in world.mem.members["wiki-editors"]
    assert "could not list members (transient: 503 while listing wiki-editors)" in render(result)


def test_an_instance_that_opted_in_loses_orphaned_access_of_known_people(store, clock, tmp_path):
    world = _world(store, clock, tmp_path, reconcile="revoke_orphans")
    deps = deps_for(world)
    try:
        _grant(world, "alice@acme.test", "wiki:editor")
        world.mem.members["wiki-editors"].update({"erin@acme.test", "stranger@elsewhere.test"})
        result = reconcile(deps)
        drain(deps)
        again = reconcile(deps)
    finally:
        close(deps)
    assert len(result.revocations) == 1 and _by_system(result).mode == "revoke_orphans"
    assert world.mem.members["wiki-editors"] == {"alice@acme.test", "stranger@elsewhere.test"}
    assert [(o.principal, o.kind) for o in _by_system(again).orphans] == [("stranger@elsewhere.test", "unknown")]
    assert again.revocations == []  # nobody to attach a removal to: stays a report


def test_grants_in_flight_explain_their_membership(world, deps):
    gid = _grant(world, "alice@acme.test", "wiki:editor")
    with world.store.uow() as s:
        from bot.store.models import Grant

        s.get(Grant, gid).status = GrantStatus.REVOKING  # its removal is queued, not yet sent
    result = reconcile(deps)
    assert _by_system(result).orphans == [] and _by_system(result).missing == []
    assert result.clean


def test_an_unknown_reconcile_option_only_reports(store, clock, tmp_path):
    world = _world(store, clock, tmp_path, reconcile="delete_everything")
    deps = deps_for(world)
    try:
        world.mem.members["wiki-editors"].add("erin@acme.test")
        result = reconcile(deps)
    finally:
        close(deps)
    mem = _by_system(result)
    assert mem.mode == "report" and result.revocations == [] and "erin@acme.test" in world.mem.members["wiki-editors"]
    assert mem.problems == ["unknown reconcile option 'delete_everything' (use report or revoke_orphans): only reporting"]
