"""``break_glass:``: inherited from the defaults, turned off per entitlement, mistakes at file:line."""

from __future__ import annotations

from datetime import timedelta

from policies.context import PersonFacts
from tests.policies.conftest import GITHUB

CATALOG = """
    defaults:
      connector: github
      break_glass:
        who: 'person.department == "Engineering"'
        max_duration: 1h
        budget: {uses: 1, per: 7d}
        review: {by: owners, within: 1d}
    resources:
      github:
        owners: [olga@acme.test]
        entitlements:
          admin: {target: admins}
          member: {target: members, break_glass: false}
          owner:
            target: owners
            break_glass: {require_ticket: true, ticket_pattern: 'INC-[0-9]+', notify: [it_channel]}
"""


def person(department: str) -> PersonFacts:
    return PersonFacts(email="a@acme.test", department=department)


def test_the_default_block_applies_and_an_entitlement_can_turn_it_off_or_replace_it(catalog_from):
    catalog = catalog_from(CATALOG)
    admin = catalog.entitlement("github:admin").break_glass
    assert admin.max_duration == timedelta(hours=1) and admin.budget_uses == 1
    assert admin.budget_period == timedelta(days=7) and admin.review_by == "owners" and admin.block_when_overdue
    assert catalog.entitlement("github:member").break_glass is None
    owner = catalog.entitlement("github:owner").break_glass
    assert owner.require_ticket and owner.notify == ("it_channel",) and owner.who is None
    assert owner.max_duration == timedelta(hours=2) and owner.budget_uses == 2  # built-in, not the default block's


def test_who_is_a_cel_rule_over_the_person(catalog_from):
    ent = catalog_from(CATALOG).entitlement("github:admin")
    assert ent.may_break_glass(person("Engineering")).allowed
    refused = ent.may_break_glass(person("Sales"))
    assert not refused.allowed and "does not meet the break-glass rule" in refused.reason
    assert not catalog_from(CATALOG).entitlement("github:member").may_break_glass(person("Engineering")).allowed


def test_mistakes_in_a_break_glass_block_name_the_file_and_line(issues_from):
    issues = issues_from("""
        resources:
          github:
            connector: github
            entitlements:
              admin:
                target: acme
                break_glass:
                  max_duration: permanent
                  budget: {uses: 0, per: 7d}
                  notify: [everyone]
    """)
    assert len(issues) >= 3 and all(i.startswith("catalog.yaml:") for i in issues), issues
    text = "\n".join(issues)
    assert "max_duration" in text and "budget" in text and "notify" in text


def test_a_who_rule_that_does_not_compile_is_reported_at_its_line(issues_from):
    issues = issues_from(GITHUB + "        break_glass:\n          who: 'person.departmnt == \"x\"'\n")
    assert len(issues) == 1 and issues[0].startswith("catalog.yaml:15: ") and "break_glass who" in issues[0], issues


def test_the_example_catalog_lets_on_call_sres_break_glass_into_aws_admin(acme):
    policy = acme.entitlement("aws-prod:admin").break_glass
    assert policy.max_duration == timedelta(hours=1) and policy.require_ticket and policy.review_by == "owners"
    assert policy.channel == "C0SECURITY1" and acme.entitlement("aws-prod:read-only").break_glass is None
    on_call = PersonFacts(email="x@acme.example", department="Engineering", groups=("sre", "oncall"))
    assert acme.entitlement("aws-prod:admin").may_break_glass(on_call).allowed
    assert not acme.entitlement("aws-prod:admin").may_break_glass(PersonFacts(email="y@acme.example")).allowed
