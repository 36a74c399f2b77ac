"""Check many live grants against the current policy at once (a re-org, a catalog change).

The directory is read once (every person's facts, their managers' emails, who manages someone),
the grants are streamed in batches, and the conditions are the ones the catalog compiled at load:
no statement per grant or per person, so 100,000 grants cost one pass of CEL evaluations.
The verdict for each grant is the one a mover's review gives (``access_review.judge``, with
outcomes shared through ``verdicts.Verdicts``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import PersonStatus
from bot.lifecycle import birthright
from bot.lifecycle.mover_recheck import REVIEWED, OwnerDepartments, judge
from bot.lifecycle.verdicts import Verdicts
from bot.store.models import Grant, Person
from policies import PersonFacts


@dataclass(frozen=True)
class Finding:
    grant_id: int
    person_id: int
    entitlement: str
    reason: str


def people_facts(s: Session, person_ids: Collection[int] | None = None) -> dict[int, PersonFacts]:
    """Facts of these people (every person when None), in three statements whatever their number."""
    query = select(Person)
    if person_ids is not None:
        query = query.where(Person.id.in_(list(person_ids)))
    people = list(s.scalars(query))
    manager_ids = {p.manager_id for p in people if p.manager_id}
    emails = {p.id: p.email for p in people}
    missing = manager_ids - set(emails)
    if missing:
        emails.update(s.execute(select(Person.id, Person.email).where(Person.id.in_(missing))).tuples().all())
    managing = set(s.scalars(select(Person.manager_id).where(Person.status == PersonStatus.ACTIVE,
                                                             Person.manager_id.is_not(None)).distinct()))
    return {p.id: directory.facts_of(p, manager_email=emails.get(p.manager_id), is_manager=p.id in managing)
            for p in people}


def sweep(s: Session, catalog, *, person_ids: Collection[int] | None = None,
          batch: int = 2000) -> Iterator[Finding]:
    """The live and scheduled grants (of ``person_ids``, or everyone's) the policy no longer allows."""
    facts = people_facts(s, person_ids)
    owners = OwnerDepartments(s)
    verdicts = Verdicts.of(catalog)
    query = (select(Grant.id, Grant.person_id, Grant.entitlement, Grant.granted_by)
             .where(Grant.status.in_(REVIEWED)).order_by(Grant.person_id, Grant.id))
    if person_ids is not None:
        query = query.where(Grant.person_id.in_(list(person_ids)))
    for grant_id, person_id, ref, granted_by in s.execute(query.execution_options(yield_per=batch)):
        person = facts.get(person_id)
        if person is None:
            continue
        rights = {b.entitlement for b in verdicts.birthright(person)}
        why = judge(catalog, ref, birthright_grant=granted_by.startswith(birthright.PREFIX), facts=person,
                    rights=rights, owners=owners, verdicts=verdicts)
        if why is not None:
            yield Finding(grant_id, person_id, ref, why)
