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
from tests.support.builders import (
    PAYMENTS_FOUR_EYES,
    PERMANENT,
    auto,
    catalog,
    catalog_document,
    dump,
    erp,
    person,
    resource,
)

# The cast: Dana manages Alice and Bob; Erin manages Dana; Olga owns GitHub; Ivan is IT.
PEOPLE = [
    person("erin@acme.test", "Erin", "Engineering", "VP Engineering"),
    person("dana@acme.test", "Dana", "Engineering", "Engineering Manager", manager="erin@acme.test"),
    person("alice@acme.test", "Alice", "Engineering", "Engineer", manager="dana@acme.test"),
    person("bob@acme.test", "Bob", "Sales", "Account Executive", manager="dana@acme.test"),
    person("olga@acme.test", "Olga", "Engineering", "GitHub owner", manager="erin@acme.test"),
    person("ivan@acme.test", "Ivan", "IT", "IT admin", groups=("it-admins",)),
    person("p1@acme.test", "P One", "Security", "SRE", groups=("sre",)),
    person("p2@acme.test", "P Two", "Security", "SRE", groups=("sre",)),
    person("p3@acme.test", "P Three", "Security", "SRE", groups=("sre",)),
]

# Settings and defaults shared by the test catalogs; each adds its own resources.
WORLD_DEFAULTS = {"expiry_warnings": ["1h"], "extend_auto_approve_limit": "4h"}
CATALOG_HEADER = catalog({}, defaults=WORLD_DEFAULTS).replace("resources: {}\n", "")

def github() -> dict:
    """GitHub as most tests know it: members join at once; admins need their manager and an owner, and a reason."""
    return resource("GitHub", owners=["olga@acme.test"], member=auto("gh-members"),
                    admin={"target": "gh-admins", "risk": "high", "require_justification": True,
                           "approval": ["manager", "owners"]})


def aws_prod_admin(quorum: int) -> dict:
    """AWS production admin: ``quorum`` of the three SREs approve."""
    return {"target": "aws-prod-admin", "risk": "critical",
            "approval": [{"people": ["p1@acme.test", "p2@acme.test", "p3@acme.test"], "quorum": quorum}]}


def world_document() -> dict:
    """The world's catalog as data, fresh on every call, for a test that changes part of it."""
    return catalog_document({
        "github": github(),
        "aws-prod": resource("AWS production", admin=aws_prod_admin(2),
                             readonly={"target": "aws-prod-ro", "auto_approve": 'person.department == "Engineering"'}),
        "wiki": resource("Wiki", editor={"target": "wiki-editors", "durations": PERMANENT}),
        "erp": erp(),
    }, defaults=WORLD_DEFAULTS, separation_of_duties=[PAYMENTS_FOUR_EYES])


CATALOG = dump(world_document())


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
