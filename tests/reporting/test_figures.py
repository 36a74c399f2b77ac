"""The figures of known histories, worked out by hand (tests/reporting/history.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.reconcile.run import reconcile
from bot.reporting.figures import Period, compute
from tests.reporting import history
from tests.support.deps import close, deps_for


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def _figures(world, since, until):
    with world.store.uow() as s:
        return compute(s, Period(since, until), world.clock.now())


def test_approval_provisioning_and_deprovisioning_times_of_a_known_history(world, deps):
    known = history.build(world, deps)
    f = _figures(world, known["t0"] - timedelta(days=1), known["t0"] + timedelta(days=1))

    approve = f.headline("time_to_approve")
    assert (approve.count, approve.p50, approve.max) == (1, 900.0, 900.0)  # the auto-approved one is not counted
    provision = f.durations["time_to_provision"]["entitlement"]
    assert provision[history.ADMIN].max == 1200.0 and provision["github:member"].max == 0.0
    assert f.headline("time_to_provision").count == 2 and f.headline("time_to_provision").p90 == 1200.0
    assert f.durations["time_to_provision"]["department"]["Engineering"].p50 == 1200.0

    deprovision = f.headline("time_to_deprovision")
    assert (deprovision.count, deprovision.p50, deprovision.max) == (1, 90.0, 90.0)
    assert f.durations["time_to_deprovision"]["department"]["Sales"].max == 90.0
    assert f.durations["time_to_deprovision_per_system"]["connector"]["mem"].max == 90.0
    assert f.deprovision_seconds == [90.0]

    # Alice's admin grant is time-bound (4h default), still held; Bob's grant was removed.
    assert f.time_bound["all"][""].part == 1 and f.time_bound["all"][""].total == 1


def test_a_period_that_ends_before_the_events_sees_none_of_them(world, deps):
    known = history.build(world, deps)
    f = _figures(world, known["t0"] - timedelta(days=2), known["t0"] - timedelta(days=1))
    assert f.headline("time_to_approve").count == 0 and f.headline("time_to_deprovision").count == 0
    assert f.time_bound["all"][""].total == 0


def test_open_requests_and_their_age(world):
    t0 = world.clock.now()
    world.submit("alice@acme.test", history.ADMIN, justification="hotfix")
    world.advance(hours=2)
    world.submit("bob@acme.test", history.ADMIN, justification="hotfix")
    world.advance(hours=3)
    f = _figures(world, t0 - timedelta(days=1), t0 + timedelta(days=1))
    assert f.open_requests.count == 2 and f.open_requests.max == 5 * 3600.0 and f.open_requests.p50 == 3 * 3600.0
    assert f.open_requests_by_age["1–4 h"] == 1 and f.open_requests_by_age["4–24 h"] == 1


def test_an_orphan_found_by_reconcile_counts_once_until_fixed(world, deps):
    t0 = world.clock.now()
    rid = world.submit("alice@acme.test", "github:member", justification="reviews")
    world.run()
    assert world.request(rid).status == "approved"
    world.mem.members["gh-members"].add("erin@acme.test")  # added in the app's own console
    reconcile(deps)
    world.advance(hours=1)
    reconcile(deps)  # the same orphan, seen again
    f = _figures(world, t0 - timedelta(days=1), t0 + timedelta(days=1))
    [mem] = f.orphans
    assert (mem.system, mem.open, mem.found, mem.accounts, mem.rate) == ("mem", 1, 1, 2, 0.5)

    world.mem.members["gh-members"].discard("erin@acme.test")  # IT removed it
    world.advance(hours=1)
    reconcile(deps)
    f = _figures(world, t0 - timedelta(days=1), t0 + timedelta(days=1))
    [mem] = f.orphans
    assert (mem.open, mem.found, mem.fixed, mem.accounts, mem.rate) == (0, 1, 1, 1, 0.0)
