"""A world whose one system ("mem") lists members in pages of two (test_drift.py brings its own)."""

from __future__ import annotations

import pytest

from connectors.registry import ConnectorSet
from tests.reconcile.paged import PagedMemory
from tests.support.deps import close, deps_for
from tests.support.world import make_world


@pytest.fixture
def world(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path)
    world.connectors = ConnectorSet({"mem": PagedMemory("mem")})
    world.runner.connectors = world.connectors
    return world


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)
