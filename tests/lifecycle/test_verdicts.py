"""Verdicts shared between people who look the same to a rule are the verdicts each would get."""

from __future__ import annotations

from bot.lifecycle.verdicts import Verdicts
from policies import PersonFacts, load_catalog
from tests.support.world import CATALOG_HEADER, write_catalog

CATALOG = CATALOG_HEADER + """resources:
  app:
    name: App
    entitlements:
      by-department: {target: a, eligibility: 'person.department == "Engineering"'}
      by-email: {target: b, eligibility: 'person.email.endsWith("@acme.test")'}
      whole-person: {target: c, eligibility: 'person.department in ["Engineering"] && person != null'}
birthright:
  - name: engineers
    when: person.department == "Engineering"
    grant: [app:by-department]
"""


def person(email: str, department: str = "Engineering", status: str = "active") -> PersonFacts:
    return PersonFacts(email=email, name=email, department=department, status=status)


def test_shared_verdicts_match_a_fresh_evaluation_for_every_person(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path, CATALOG), connectors=["mem"])
    verdicts = Verdicts.of(catalog)
    people = [person("a@acme.test"), person("b@acme.test", "Sales"), person("c@other.test"),
              person("d@acme.test"), person("e@acme.test", status="leaver"), person("f@other.test", "Sales")]
    for ref in ("app:by-department", "app:by-email", "app:whole-person"):
        for p in people:
            expected = catalog.entitlement(ref).is_eligible(p)
            assert verdicts.eligibility(ref, p, lambda _e: None) == expected, (ref, p.email)
    for p in people:
        assert verdicts.birthright(p) == catalog.birthright_for(p)
    assert Verdicts.of(catalog) is verdicts


def test_a_refusal_reused_for_another_person_names_that_person(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path, CATALOG), connectors=["mem"])
    verdicts = Verdicts.of(catalog)
    verdicts.eligibility("app:by-department", person("first@acme.test", "Sales"), lambda _e: None)
    reused = verdicts.eligibility("app:by-department", person("second@acme.test", "Sales"), lambda _e: None)
    assert not reused.allowed
    assert "second@acme.test" in reused.reason and "first@acme.test" not in reused.reason
