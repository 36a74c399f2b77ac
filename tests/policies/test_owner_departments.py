"""``owner_departments``: the departments of an entitlement's owners, in eligibility and auto-approve."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from policies import PersonFacts, RequestFacts
from policies.context import MissingFacts
from policies.explain import explain
from policies.people_file import PeopleDirectory, read_people

PEOPLE = """
people:
  - {email: fiona@acme.example, name: Fiona, department: Finance}
  - {email: felix@acme.example, name: Felix, department: Finance, manager: fiona@acme.example}
  - {email: lena@acme.example, name: Lena, department: Legal}
  - {email: gone@acme.example, name: Gone, department: Sales, status: terminated}
  - {email: erin@acme.example, name: Erin, department: Engineering, manager: fiona@acme.example}
"""

CATALOG = """
resources:
  erp:
    name: ERP
    owners: [fiona@acme.example, lena@acme.example, gone@acme.example]
    connector: erp
    eligibility:
      when: person.department in owner_departments
      description: the owners' departments only
    entitlements:
      viewer:
        target: erp-viewers
        auto_approve: person.department in owner_departments && request.duration_hours <= 8.0
      payments:
        target: erp-payments
        eligibility: |
          person.department in owner_departments
            && owner_departments.exists(d, d == "Finance")
"""


@pytest.fixture
def directory(tmp_path) -> PeopleDirectory:
    path = tmp_path / "people.yaml"
    path.write_text(textwrap.dedent(PEOPLE).lstrip())
    return PeopleDirectory(read_people(path))


@pytest.fixture
def erp(catalog_from, directory):
    return catalog_from(CATALOG, people=directory.emails)


def facts(directory: PeopleDirectory, email: str) -> PersonFacts:
    return directory.facts(email)


def test_the_owners_departments_are_those_of_active_owners(directory, erp):
    viewer = erp.entitlement("erp:viewer")
    assert viewer.reads_owner_departments
    assert directory.departments_of(viewer.owners) == ["Finance", "Legal"]  # a terminated owner does not count


def test_people_of_an_owners_department_are_eligible_and_others_are_not(directory, erp):
    viewer = erp.entitlement("erp:viewer")
    departments = directory.departments_of(viewer.owners)

    allowed = viewer.is_eligible(facts(directory, "felix@acme.example"), departments)
    refused = viewer.is_eligible(facts(directory, "erin@acme.example"), departments)
    sales = viewer.is_eligible(PersonFacts(email="sam@acme.example", department="Sales"), departments)

    assert allowed.allowed and "the owners' departments only" in allowed.reason
    assert not refused.allowed and "erin@acme.example does not meet" in refused.reason
    assert not sales.allowed  # the terminated owner's department opens nothing


def test_auto_approve_reads_the_owners_departments(directory, erp):
    viewer = erp.entitlement("erp:viewer")
    departments = directory.departments_of(viewer.owners)
    short = RequestFacts(timedelta(hours=4), "month end")
    assert viewer.auto_approve_rule(facts(directory, "lena@acme.example"), short, departments) is not None
    assert viewer.auto_approve_rule(facts(directory, "erin@acme.example"), short, departments) is None
    assert viewer.auto_approve_rule(facts(directory, "lena@acme.example"), short, []) is None  # no owner left


def test_a_multi_line_rule_and_the_list_macros_work(directory, erp):
    payments = erp.entitlement("erp:payments")
    departments = directory.departments_of(payments.owners)
    assert payments.is_eligible(facts(directory, "felix@acme.example"), departments).allowed
    assert not payments.is_eligible(facts(directory, "lena@acme.example"), ["Legal"]).allowed


def test_a_caller_that_forgets_the_owners_departments_gets_an_error_not_a_refusal(directory, erp):
    with pytest.raises(MissingFacts, match="erp:viewer reads owner_departments"):
        erp.entitlement("erp:viewer").is_eligible(facts(directory, "felix@acme.example"))
    with pytest.raises(MissingFacts):
        erp.entitlement("erp:viewer").auto_approve_rule(facts(directory, "felix@acme.example"),
                                                        RequestFacts(timedelta(hours=1)))


def test_rules_that_do_not_read_them_need_no_departments(catalog_from):
    from tests.policies.conftest import GITHUB

    member = catalog_from(GITHUB).entitlement("github:member")
    assert not member.reads_owner_departments
    assert member.is_eligible(PersonFacts(email="x@acme.example")).allowed


def test_explain_shows_the_decision_with_the_owners_departments(directory, erp):
    x = explain(erp, "erp:viewer", facts(directory, "felix@acme.example"), directory,
                request=RequestFacts(timedelta(hours=2), "close"))
    assert x.eligibility.allowed
    assert x.auto_approve is not None


@pytest.mark.parametrize(("rule", "message"), [
    ('owner_departments == "Finance"',
     'eligibility: owner_departments is a list of strings, never equal to a string; '
     'write "Finance" in owner_departments'),
    ("owner_departments.name == person.department",
     "eligibility: owner_departments is a list of strings and has no field 'name'"),
    ("person.department in owner_department",
     "eligibility: unknown name 'owner_department'; a condition here can use entitlement, owner_departments, "
     "person (did you mean 'owner_departments'?)"),
])
def test_misuse_is_a_load_error_with_file_and_line(issues_from, rule, message):
    issues = issues_from(CATALOG.replace("when: person.department in owner_departments", f"when: '{rule}'"))
    assert len(issues) == 1
    assert issues[0].startswith(f"catalog.yaml:7: resource erp: {message}")


def test_misuse_inside_a_block_points_at_its_line(issues_from):
    issues = issues_from(CATALOG.replace('owner_departments.exists(d, d == "Finance")',
                                         'owner_departments == "Finance"'))
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:17: erp:payments: eligibility: owner_departments is a list")


def test_birthright_rules_have_no_owners(issues_from):
    issues = issues_from(CATALOG + textwrap.dedent("""
        birthright:
          - name: finance
            when: person.department in owner_departments
            grant: [erp:viewer]
    """))
    assert issues == ["catalog.yaml:21: birthright rule 'finance': unknown name 'owner_departments'; "
                      "a condition here can use person"]
