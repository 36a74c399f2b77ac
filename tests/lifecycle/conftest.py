"""A world with birthright rules, an eligibility rule and a mover grace period, plus a real Deps."""

from __future__ import annotations

import pytest

from tests.support.deps import close, deps_for
from tests.support.world import make_world

LIFECYCLE_CATALOG = """
settings:
  it_admins_group: it-admins
  it_channel: C0ITOPS
  fallback: {group: it-admins}
  timezone: Europe/London
  mover_grace_period: 3d
defaults:
  connector: mem
  durations: {choices: [1h, 4h, 1d], default: 4h, maximum: 1d}
  approval: [manager]
  require_justification: false
resources:
  github:
    name: GitHub
    entitlements:
      member: {target: gh-members, approval: [], durations: {permanent: true, default: permanent}}
  aws-prod:
    name: AWS production
    eligibility: {when: 'person.department == "Engineering"', description: engineers only}
    entitlements:
      readonly: {target: aws-prod-ro, durations: {permanent: true, default: permanent}}
  salesforce:
    name: Salesforce
    entitlements:
      user: {target: sf-users, approval: [], durations: {permanent: true, default: permanent}}
  wiki:
    name: Wiki
    entitlements:
      editor: {target: wiki-editors, approval: [], durations: {permanent: true, default: permanent}}
  erp:
    name: Finance ERP
    entitlements:
      payments-create: {target: erp-pay-create}
      payments-approve: {target: erp-pay-approve}
separation_of_duties:
  - name: payments-four-eyes
    entitlements: [erp:payments-create, erp:payments-approve]
    reason: nobody may both create and approve payments
birthright:
  - name: everyone
    when: person.employment_type in ["employee", "contractor"]
    grant: [wiki:editor]
  - name: engineering
    when: person.department == "Engineering"
    grant: [github:member]
  - name: sales
    when: person.department == "Sales"
    grant: [salesforce:user]
"""


@pytest.fixture
def world(store, clock, tmp_path):
    return make_world(store, clock, tmp_path, LIFECYCLE_CATALOG)


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)
