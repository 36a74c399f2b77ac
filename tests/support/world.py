"""A small, real accessbot for domain tests: a migrated database (SQLite or PostgreSQL), a catalog
loaded from YAML by the real loader, people in the directory, in-memory connectors, the real
provisioning runner and an injectable clock. No mocks."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import Trigger, Verdict
from bot.ledger.context import Actor, Ctx
from bot.provisioning.runner import ProvisioningRunner
from bot.requests.decide import decide
from bot.requests.submit import USE_DEFAULT, submit
from bot.store.models import AccessRequest, Grant, ProvisioningAction
from connectors.memory import MemoryConnector
from connectors.registry import ConnectorSet
from policies import load_catalog

# The cast: Dana manages Alice and Bob; Erin manages Dana; Olga owns GitHub; Ivan is IT.
PEOPLE = [
    dict(email="erin@acme.test", name="Erin", department="Engineering", title="VP Engineering"),
    dict(email="dana@acme.test", name="Dana", department="Engineering", title="Engineering Manager",
         manager_email="erin@acme.test"),
    dict(email="alice@acme.test", name="Alice", department="Engineering", title="Engineer",
         manager_email="dana@acme.test"),
    dict(email="bob@acme.test", name="Bob", department="Sales", title="Account Executive",
         manager_email="dana@acme.test"),
    dict(email="olga@acme.test", name="Olga", department="Engineering", title="GitHub owner",
         manager_email="erin@acme.test"),
    dict(email="ivan@acme.test", name="Ivan", department="IT", title="IT admin", groups=["it-admins"]),
    dict(email="p1@acme.test", name="P One", department="Security", title="SRE", groups=["sre"]),
    dict(email="p2@acme.test", name="P Two", department="Security", title="SRE", groups=["sre"]),
    dict(email="p3@acme.test", name="P Three", department="Security", title="SRE", groups=["sre"]),
]

# Settings and defaults shared by the test catalogs; each adds its own resources.
CATALOG_HEADER = """
settings:
  it_admins_group: it-admins
  it_channel: C0ITOPS
  fallback: {group: it-admins}
defaults:
  connector: mem
  durations: {choices: [1h, 4h, 1d], default: 4h, maximum: 1d}
  approval: [manager]
  expiry_warnings: [1h]
  extend_auto_approve_limit: 4h
  require_justification: false
"""

CATALOG = CATALOG_HEADER + """resources:
  github:
    name: GitHub
    owners: [olga@acme.test]
    entitlements:
      member: {target: gh-members, approval: []}
      admin:
        target: gh-admins
        risk: high
        require_justification: true
        approval: [manager, owners]
  aws-prod:
    name: AWS production
    entitlements:
      admin:
        target: aws-prod-admin
        risk: critical
        approval: [{people: [p1@acme.test, p2@acme.test, p3@acme.test], quorum: 2}]
      readonly:
        target: aws-prod-ro
        auto_approve: 'person.department == "Engineering"'
  wiki:
    name: Wiki
    entitlements:
      editor: {target: wiki-editors, durations: {permanent: true, default: permanent}}
  erp:
    name: Finance ERP
    entitlements:
      payments-create: {target: erp-pay-create}
      payments-approve: {target: erp-pay-approve}
separation_of_duties:
  - name: payments-four-eyes
    entitlements: [erp:payments-create, erp:payments-approve]
    reason: nobody may both create and approve payments
"""


@dataclass
class World:
    store: object
    clock: object
    catalog: object
    connectors: ConnectorSet
    runner: ProvisioningRunner

    @property
    def mem(self) -> MemoryConnector:
        return self.connectors["mem"]

    def ctx(self, actor: str | None = None, trigger: Trigger = Trigger.API) -> Ctx:
        if actor is None:
            return Ctx(self.catalog, self.clock.now(), Actor.system("test", trigger))
        return Ctx(self.catalog, self.clock.now(), Actor(label=actor, trigger=trigger))

    def submit(self, email: str, ref: str, duration=USE_DEFAULT, **kw) -> int:
        with self.store.uow() as s:
            person = directory.require(s, email)
            result = submit(s, self.ctx(email), requester=person, entitlement=ref, duration=duration, **kw)
            return result.request.id

    def decide(self, email: str, request_id: int, verdict: Verdict = Verdict.APPROVE, reason: str = ""):
        with self.store.uow() as s:
            approver = directory.require(s, email)
            return decide(s, self.ctx(email), request_id=request_id, approver=approver, verdict=verdict,
                          reason=reason).final

    def run(self) -> int:
        return self.runner.run_due()

    def request(self, request_id: int) -> AccessRequest:
        with self.store.uow() as s:
            return s.get(AccessRequest, request_id)

    def grants_of(self, email: str) -> list[Grant]:
        with self.store.uow() as s:
            person = directory.require(s, email)
            return list(s.scalars(select(Grant).where(Grant.person_id == person.id).order_by(Grant.id)))

    def actions(self) -> list[ProvisioningAction]:
        with self.store.uow() as s:
            return list(s.scalars(select(ProvisioningAction).order_by(ProvisioningAction.created_at)))

    def holds(self, email: str, target: str) -> bool:
        return email in self.mem.members[target]

    def advance(self, **kw) -> None:
        self.clock.advance(timedelta(**kw))


def write_catalog(folder: Path, text: str = CATALOG) -> Path:
    path = folder / "catalog.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def seed_people(store, clock, people=PEOPLE) -> None:
    with store.uow() as s:
        for spec in people:
            directory.upsert(s, directory.PersonInput(**spec), source="test", now=clock.now())


def make_world(store, clock, tmp_path: Path, catalog_text: str = CATALOG, connectors: dict | None = None) -> World:
    """``connectors``: the instances by name (default: one MemoryConnector called "mem")."""
    seed_people(store, clock)
    emails = [p["email"] for p in PEOPLE]
    groups = sorted({g for p in PEOPLE for g in p.get("groups", [])})
    connectors = ConnectorSet(connectors or {"mem": MemoryConnector("mem")})
    catalog = load_catalog(write_catalog(tmp_path, catalog_text), connectors=list(connectors), people=emails,
                           groups=groups)
    runner = ProvisioningRunner(store, connectors, clock, lambda: catalog, threads=1)
    return World(store, clock, catalog, connectors, runner)
