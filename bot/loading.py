"""Load the catalog and the connector instances named by the settings, checked against each
other and the directory (an entitlement naming an unknown connector or approver fails here)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.reporting import policy_versions
from bot.settings import Settings, credentials_environment
from bot.store.db import Store
from bot.store.models import Person
from connectors.host import ConnectorHost
from connectors.registry import ConnectorSet
from connectors.schema_check import target_checks
from policies import load_catalog


def load_connectors_for(settings: Settings, host: ConnectorHost | None = None) -> ConnectorSet:
    """``host``: what the connectors share with the other replicas (bot.store.connector_host)."""
    from connectors.registry import load_connectors

    path = settings.resolved_connectors_file()
    if path is None:
        return ConnectorSet()
    return load_connectors(path, environ=credentials_environment(), simulate=settings.simulate_connectors, host=host)


def load_catalog_for(settings: Settings, store: Store, connectors: ConnectorSet, *, now: datetime | None = None):
    """Load the catalog and put its hash on record in the audit log (policy changes are on record)."""
    with store.uow() as s:
        people = s.execute(select(Person.email, Person.groups)).all()
    emails = [email for email, _ in people]
    groups = sorted({g for _, gs in people for g in (gs or [])})
    # Targets are checked against each instance's configured type, simulated or not: the demo must
    # not accept a catalog the real connectors would refuse.
    targets = target_checks({name: connectors.configured_type(name) for name in connectors})
    catalog = load_catalog(settings.catalog, connectors=list(connectors), people=emails, groups=groups,
                           targets=targets)
    with store.uow() as s:
        policy_versions.record_load(s, now=now or datetime.now(timezone.utc), path=settings.catalog)
    return catalog
