from __future__ import annotations

import pytest

from tests.support.break_glass import with_break_glass
from tests.support.world import CATALOG, make_world

# erp:payments-approve allows break glass too (separation of duties must still hold); the wiki does not.
BREAK_GLASS_CATALOG = with_break_glass(CATALOG).replace(
    "      payments-approve: {target: erp-pay-approve}",
    "      payments-approve: {target: erp-pay-approve, break_glass: {budget: {uses: 5, per: 1d}}}")


@pytest.fixture
def bg_world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, BREAK_GLASS_CATALOG)
