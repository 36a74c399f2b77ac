"""A world whose catalog prices Salesforce seats and reclaims unused ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.deps import close, deps_for
from tests.reviews.conftest import holding  # noqa: F401 (the tests import it from here)
from tests.support.world import CATALOG, make_world

RESOURCES = """  salesforce:
    name: Salesforce
    owners: [olga@acme.test]
    durations: {permanent: true, default: permanent}
    license: {amount: 150, currency: USD, per: seat_month}
    inactivity: {after_days: 30, answer_days: 7, then: release}
    entitlements:
      sales-cloud: {title: Sales Cloud, target: sf-sales, approval: []}
      reports: {title: Reports, target: sf-reports, approval: [],
                inactivity: {after_days: 30, answer_days: 7, then: ask_owner}}
      admin: {title: Admin, target: sf-admin, risk: high, approval: [],
              inactivity: {after_days: 30, answer_days: 3, then: ask_owner}}
  tableau:
    name: Tableau
    durations: {permanent: true, default: permanent}
    license: {amount: 70, currency: USD}
    entitlements:
      viewer: {target: tb-viewer, approval: []}
"""
USAGE_CATALOG = CATALOG.replace("separation_of_duties:", RESOURCES + "separation_of_duties:")


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, catalog_text=USAGE_CATALOG)


@pytest.fixture
def deps(world):
    d = deps_for(world)
    d.runs_background_work = False
    yield d
    close(d)



def used(world, email: str, days_ago: float | None) -> None:
    """What the target will say about ``email``'s last use (None: it cannot tell)."""
    world.mem.last_seen[email] = None if days_ago is None else world.clock.now() - timedelta(days=days_ago)
