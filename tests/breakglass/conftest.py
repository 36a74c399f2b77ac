from __future__ import annotations

import pytest

from tests.support.world import CATALOG, make_world

# github:admin allows break glass for Engineering, once a week; erp:payments-approve too (SoD must still hold);
# the wiki does not allow it.
BREAK_GLASS_CATALOG = CATALOG.replace("""        require_justification: true
        approval: [manager, owners]
""", """        require_justification: true
        approval: [manager, owners]
        break_glass:
          who: 'person.department == "Engineering"'
          max_duration: 2h
          budget: {uses: 1, per: 7d}
          review: {by: manager, within: 1d}
""").replace("""      payments-approve: {target: erp-pay-approve}""", """      payments-approve: {target: erp-pay-approve, break_glass: {budget: {uses: 5, per: 1d}}}""")


@pytest.fixture
def bg_world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, BREAK_GLASS_CATALOG)
