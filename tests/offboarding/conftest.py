"""Three systems (three in-memory connector instances) and a Deps running the real engine."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.provisioning.runner import ProvisioningRunner
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from policies import load_catalog
from tests.support.deps import close, deps_for
from tests.support.world import PEOPLE, World, seed_people, write_catalog

CATALOG = """
settings:
  it_admins_group: it-admins
  it_channel: C0ITOPS
  fallback: {group: it-admins}
defaults:
  connector: mem
  durations: {choices: [1h, 4h, 1d], default: 4h, maximum: 1d}
  approval: [manager]
  require_justification: false
resources:
  github:
    name: GitHub
    connector: gh
    owners: [olga@acme.test]
    entitlements:
      member: {target: gh-members, approval: []}
      triage: {target: gh-members, approval: []}
      admin: {target: gh-admins, risk: high, approval: [manager]}
  okta:
    name: Okta
    connector: okta
    entitlements:
      apps: {target: okta-apps, approval: []}
      admin: {target: okta-admins, risk: critical, approval: []}
  erp:
    name: Finance ERP
    entitlements:
      payments-create: {target: erp-pay-create}
  wiki:
    name: Wiki
    entitlements:
      editor: {target: wiki-editors, approval: []}
      space-a: {target: wiki-a, approval: []}
      space-b: {target: wiki-b, approval: []}
      space-c: {target: wiki-c, approval: []}
      space-d: {target: wiki-d, approval: []}
      space-e: {target: wiki-e, approval: []}
"""


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
    ids = []
    for ref in refs:
        rid = world.submit(email, ref)
        if world.request(rid).status == "pending":
            manager = {"alice@acme.test": "dana@acme.test", "bob@acme.test": "dana@acme.test",
                       "dana@acme.test": "erin@acme.test"}[email]
            world.decide(manager, rid)
        ids.append(world.request(rid).grant_id)
    world.run()
    return ids
