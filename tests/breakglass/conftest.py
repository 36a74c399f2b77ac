from __future__ import annotations

import pytest

from tests.support.break_glass import with_break_glass
from tests.support.builders import dump
from tests.support.world import make_world, world_document

# erp:payments-approve allows break glass too (separation of duties must still hold); the wiki does not.
def _break_glass_catalog() -> str:
    document = with_break_glass(world_document())
    document["resources"]["erp"]["entitlements"]["payments-approve"]["break_glass"] = {"budget": {"uses": 5, "per": "1d"}}
    return dump(document)


BREAK_GLASS_CATALOG = _break_glass_catalog()


@pytest.fixture
def bg_world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, BREAK_GLASS_CATALOG)
