"""A world with birthright rules, an eligibility rule and a mover grace period, plus a real Deps."""

from __future__ import annotations

import pytest

from tests.support.builders import PAYMENTS_FOUR_EYES, PERMANENT, auto, catalog, erp, resource
from tests.support.deps import close, deps_for
from tests.support.world import make_world

LIFECYCLE_CATALOG = catalog({
    "github": resource("GitHub", member=auto("gh-members", durations=PERMANENT)),
    "aws-prod": resource("AWS production",
                         eligibility={"when": 'person.department == "Engineering"', "description": "engineers only"},
                         readonly={"target": "aws-prod-ro", "durations": PERMANENT}),
    "salesforce": resource("Salesforce", user=auto("sf-users", durations=PERMANENT)),
    "wiki": resource("Wiki", editor=auto("wiki-editors", durations=PERMANENT)),
    "erp": erp(),
}, settings={"timezone": "Europe/London", "mover_grace_period": "3d"},
    separation_of_duties=[PAYMENTS_FOUR_EYES],
    birthright=[
        {"name": "everyone", "when": 'person.employment_type in ["employee", "contractor"]', "grant": ["wiki:editor"]},
        {"name": "engineering", "when": 'person.department == "Engineering"', "grant": ["github:member"]},
        {"name": "sales", "when": 'person.department == "Sales"', "grant": ["salesforce:user"]},
    ])


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG)


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)
