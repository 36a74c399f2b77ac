"""A world whose catalog has review campaigns, and helpers to give people access."""

from __future__ import annotations

import pytest

from bot.domain.enums import RequestStatus
from tests.support.deps import close, deps_for
from tests.support.world import CATALOG, make_world

REVIEWS = """
reviews:
  - name: github-owners
    description: GitHub access, reviewed by the owner (the manager when the owner holds it)
    scope: {resources: [github]}
    reviewers: [owners, manager]
    duration: 10d
    reminders: [3d]
    at_deadline: revoke
  - name: by-manager-keep
    scope: {entitlements: [aws-prod:readonly, erp:payments-create]}
    reviewers: [manager]
    duration: 7d
    reminders: []
    at_deadline: keep
  - name: escalating
    scope: {entitlements: [erp:payments-create]}
    reviewers: [manager]
    fallback: {people: [ivan@acme.test]}
    duration: 7d
    reminders: []
    at_deadline: escalate
    escalation_period: 2d
  - name: engineering-quarterly
    scope: {when: 'person.department == "Engineering" && grant.how == "request"'}
    reviewers: [manager]
    recurrence: {every: quarterly, day: 5}
"""


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, catalog_text=CATALOG + REVIEWS)


@pytest.fixture
def deps(world):
    """A real Deps whose commits do not start background provisioning: the tests run the runner
    themselves (world.run()), so what a revoke did at the target is settled when they look."""
    d = deps_for(world)
    d.runs_background_work = False
    yield d
    close(d)


def holding(world, email: str, *refs: str) -> list[int]:
    """Give ``email`` each entitlement through the ordinary request path; the grant ids."""
    ids = []
    for ref in refs:
        rid = world.submit(email, ref, justification="needed")
        request = world.request(rid)
        if request.status == RequestStatus.PENDING:
            world.decide("dana@acme.test" if email != "dana@acme.test" else "erin@acme.test", rid)
        world.run()
        ids.append(world.request(rid).grant_id)
    return ids
