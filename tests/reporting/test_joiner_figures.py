"""Time to provision a joiner: from the HR event (or their first day, if announced ahead) to the
last birthright grant active. Worked out by hand on the lifecycle tests' catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.enums import ActionStatus
from bot.reporting.figures import Period, compute
from bot.store.models import ProvisioningAction
from connectors.errors import TransientError
from tests.lifecycle.conftest import LIFECYCLE_CATALOG
from tests.lifecycle.helpers import hr, start_scheduled_grants
from tests.support.deps import close, deps_for
from tests.support.waiting import wait_until
from tests.support.world import make_world


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG)  # with birthright rules


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def _in_flight(world) -> bool:
    with world.store.uow() as s:
        return s.scalar(select(func.count()).select_from(ProvisioningAction)
                        .where(ProvisioningAction.status == ActionStatus.IN_PROGRESS)) > 0


def _joiner_figure(world):
    now = world.clock.now()
    with world.store.uow() as s:
        return compute(s, Period(now - timedelta(days=30), now + timedelta(seconds=1)), now).durations[
            "time_to_provision_joiner"]


def test_a_joiner_whose_first_call_fails_has_access_when_the_retry_lands(world, deps):
    world.mem.fail_next(TransientError("503 from the target"))
    hr(deps, "joiner", "nina@acme.test", employee_id="E100", name="Nina", department="Engineering",
       manager_email="dana@acme.test")
    deps.kick().result(timeout=30)  # the intake's own background run: one call fails, the other lands
    # The intake's own drain may still be recording the failure when this kick's returns: the retry is
    # scheduled from the clock at that moment, so the clock moves only once nothing is in flight.
    wait_until(lambda: not _in_flight(world), what="the failed call recorded with its retry")
    world.advance(minutes=5)
    deps.runner.run_due()  # the retry, five minutes after the event
    figure = _joiner_figure(world)
    assert (figure["all"][""].count, figure["all"][""].max) == (1, 300.0)
    assert figure["department"]["Engineering"].p50 == 300.0


def test_a_joiner_announced_ahead_is_measured_from_their_first_day(world, deps):
    hr(deps, "joiner", "nina@acme.test", employee_id="E100", name="Nina", department="Sales",
       manager_email="dana@acme.test", start_date="2026-11-09")
    world.clock.set(datetime(2026, 11, 9, 0, 1, tzinfo=UTC))  # the start timer fires a minute late
    start_scheduled_grants(deps)
    figure = _joiner_figure(world)
    assert (figure["all"][""].count, figure["all"][""].max) == (1, 60.0)
