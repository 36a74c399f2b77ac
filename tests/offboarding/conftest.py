"""Three systems (three in-memory connector instances) and a Deps running the real engine."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.provisioning.runner import ProvisioningRunner
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from policies import load_catalog
from tests.support.builders import auto, catalog, granted, resource
from tests.support.deps import close, deps_for
from tests.support.world import PEOPLE, World, seed_people, write_catalog

CATALOG = catalog({
    "github": resource("GitHub", connector="gh", owners=["olga@acme.test"], member=auto("gh-members"),
                       triage=auto("gh-members"), admin={"target": "gh-admins", "risk": "high", "approval": ["manager"]}),
    "okta": resource("Okta", connector="okta", apps=auto("okta-apps"), admin=auto("okta-admins", risk="critical")),
    "erp": resource("Finance ERP", **{"payments-create": {"target": "erp-pay-create"}}),
    "wiki": resource("Wiki", editor=auto("wiki-editors"),
                     **{f"space-{x}": auto(f"wiki-{x}") for x in "abcde"}),
})


class CountingConnector(MemoryConnector):
    """The in-memory connector, also counting how many calls are in flight at once."""

    def __init__(self, name, options=None):
        super().__init__(name, options)
        self._count_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def _maybe_fail(self) -> None:
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            super()._maybe_fail()
        finally:
            with self._count_lock:
                self.in_flight -= 1


def make_systems_world(store, clock, tmp_path: Path, names=("mem", "gh", "okta"), options=None) -> World:
    seed_people(store, clock)
    connectors = ConnectorSet({n: CountingConnector(n, (options or {}).get(n)) for n in names})
    catalog = load_catalog(write_catalog(tmp_path, CATALOG), connectors=list(names),
                           people=[p["email"] for p in PEOPLE],
                           groups=sorted({g for p in PEOPLE for g in p.get("groups", [])}))
    runner = ProvisioningRunner(store, connectors, clock, lambda: catalog, threads=1)
    return World(store, clock, catalog, connectors, runner)


@pytest.fixture
def world(store, clock, tmp_path):
    return make_systems_world(store, clock, tmp_path)


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def holding(world, email: str, *refs: str) -> list[int]:
    """Give ``email`` these entitlements through the normal request path; returns the grant ids."""
    ids = [granted(world, email, ref, PEOPLE) for ref in refs]
    world.run()
    return ids
