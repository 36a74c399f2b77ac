"""The Acme example: it loads cleanly against its own people and connectors, and says what it should."""

from __future__ import annotations

from datetime import date, timedelta

from policies import RequestFacts, load_catalog
from policies.neighbours import find_connectors_file, find_people_file, read_connector_names
from tests.policies.conftest import ACME


def test_example_loads_with_every_cross_check(acme):
    assert len(acme.resources) == 15
    assert len(acme.entitlements) == 27
    assert set(acme.bundles) == {"new-engineer", "on-call-engineer", "new-sales-hire"}
    assert acme.settings.it_admins_group == "it-admins"
    assert acme.settings.it_channel == "C0ITOPS001"
    assert acme.settings.timezone == "Europe/London"
    assert set(acme.reviews) == {"quarterly-privileged", "production-engineering", "finance-one-off",
                                 "unexplained-accounts"}
    assert acme.reviews["production-engineering"].connectors == {"aws"}


def test_example_files_next_to_the_catalog_are_found():
    assert find_people_file(ACME / "catalog") == ACME / "people.yaml"
    assert find_connectors_file(ACME / "catalog") == ACME / "connectors.yaml"
    assert read_connector_names(ACME / "connectors.yaml") == [
        "okta", "google", "github", "aws", "entra", "salesforce-scim", "slack", "finance-erp", "vpn"]


def test_example_loads_without_cross_checks_too():
    assert len(load_catalog(ACME / "catalog").entitlements) == 27


def test_example_decisions(acme, acme_directory):
    today = date(2026, 12, 1)
    bob = acme_directory.facts("bob.martin@acme.example", on=today)
    wendy = acme_directory.facts("wendy.clark@acme.example", on=today)
    george = acme_directory.facts("george.brown@acme.example", on=today)
    assert acme.entitlement("aws-prod:admin").is_eligible(bob).allowed
    assert not acme.entitlement("aws-prod:admin").is_eligible(wendy).allowed
    assert acme.entitlement("aws-prod:read-only").auto_approve_rule(bob, RequestFacts(timedelta(hours=4)))
    assert not acme.entitlement("finance-erp:payments-approve").is_eligible(george).allowed
    assert acme.sod_conflicts(["finance-erp:payments-create"], "finance-erp:payments-approve")
    assert acme.entitlement("finance-erp:payments-create").approvals_channel == "C0FINAPPR1"
    grants = {g.entitlement for g in acme.birthright_for(bob)}
    assert grants == {"google-workspace:user", "jira:user", "vpn:staff", "github:member", "datadog:user"}


def test_every_entitlement_of_the_example_is_requestable_or_birthright(acme):
    birthright = {ref for rule in acme.birthright_rules for ref in rule.grants}
    for entitlement in acme.entitlements.values():
        assert entitlement.requestable or entitlement.ref in birthright, entitlement.ref


def test_example_on_call_file_defines_every_schedule_the_catalog_names(acme):
    from bot.oncall.checks import catalog_problems, schedules_in
    from bot.oncall.config import load

    spec = load(ACME / "on-call.yaml")
    assert schedules_in(acme) == {"sre-primary": ["aws-prod:admin"]}
    assert catalog_problems(spec, acme, "on-call.yaml") == []
    assert acme.entitlement("aws-prod:admin").auto_approve[0].ends_with_shift
