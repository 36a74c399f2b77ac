"""Look-ups on a loaded catalog: refs, type-ahead search, bundles, separation of duties, birthright."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import PersonFacts, load_catalog

RULES = """
resources:
  erp:
    name: Finance ERP
    connector: manual
    entitlements:
      create: {target: r1}
      approve: {target: r2}
      vendor: {target: r3}
      view: {target: r4, requestable: false}
  github:
    name: GitHub
    connector: github
    entitlements:
      member: {target: acme, title: Organisation member}
      admin: {target: acme, title: Organisation owner}
bundles:
  engineer:
    description: First week
    entitlements: [github:member, erp:view]
separation_of_duties:
  - name: maker-checker
    entitlements: [erp:create, erp:approve, erp:vendor]
    reason: Who pays must not approve.
birthright:
  - name: everyone
    when: person.status == "active"
    grant: [erp:view]
  - name: engineers
    when: person.department == "Engineering"
    grant: [github:member, erp:view]
    duration: 30d
  - name: engineers-forever
    when: person.department == "Engineering" && person.employment_type == "employee"
    grant: [github:member]
  - name: broken-at-run-time
    when: person.attributes.level > 3
    grant: [github:admin]
"""


@pytest.fixture
def catalog(catalog_from):
    return catalog_from(RULES)


def test_entitlement_lookup_and_helpful_key_errors(catalog):
    assert catalog.entitlement("github:admin").title == "Organisation owner"
    with pytest.raises(KeyError) as caught:
        catalog.entitlement("github:amin")
    assert str(caught.value) == "GitHub has no role 'amin' (roles: member, admin)"
    with pytest.raises(KeyError) as caught:
        catalog.entitlement("gthub:admin")
    assert str(caught.value) == "no entitlement 'gthub:admin' in the catalog; did you mean github:admin?"


def test_resources_hold_their_entitlements(catalog):
    assert list(catalog.resources["erp"].entitlements) == ["create", "approve", "vendor", "view"]
    assert catalog.entitlements["erp:view"] is catalog.resources["erp"].entitlements["view"]


def test_sod_conflict_with_what_is_held(catalog):
    conflicts = catalog.sod_conflicts(held=["erp:create", "github:member"], requested="erp:approve")
    assert [(c.name, c.entitlements, c.reason) for c in conflicts] == [
        ("maker-checker", ("erp:create", "erp:approve"), "Who pays must not approve.")]


def test_sod_no_conflict(catalog):
    assert catalog.sod_conflicts(held=["github:admin"], requested="erp:approve") == []
    assert catalog.sod_conflicts(held=[], requested="erp:approve") == []


def test_sod_conflict_inside_one_request(catalog):
    conflicts = catalog.sod_conflicts(held=[], requested=["erp:vendor", "erp:create"])
    assert conflicts[0].entitlements == ("erp:create", "erp:vendor")


def test_sod_does_not_reopen_what_is_already_held(catalog):
    # Holding two of them already is reported elsewhere (access review); asking for GitHub is not blocked.
    assert catalog.sod_conflicts(held=["erp:create", "erp:approve"], requested="github:member") == []


def test_bundles(catalog):
    bundle = catalog.bundles["engineer"]
    assert (bundle.name, bundle.description, bundle.entitlements) == ("engineer", "First week",
                                                                      ["github:member", "erp:view"])


def test_birthright_one_grant_per_entitlement_longest_wins(catalog):
    engineer = PersonFacts(email="e@acme.example", department="Engineering")
    grants = {g.entitlement: (g.duration, g.rule) for g in catalog.birthright_for(engineer)}
    assert grants == {"erp:view": (None, "everyone"), "github:member": (None, "engineers-forever")}


def test_birthright_with_a_duration(catalog):
    contractor = PersonFacts(email="c@acme.example", department="Engineering", employment_type="contractor")
    grants = {g.entitlement: (g.duration, g.rule) for g in catalog.birthright_for(contractor)}
    assert grants["github:member"] == (timedelta(days=30), "engineers")


def test_birthright_skips_rules_that_fail_and_inactive_people(catalog, caplog):
    sales = PersonFacts(email="s@acme.example", department="Sales")
    assert [g.entitlement for g in catalog.birthright_for(sales)] == ["erp:view"]
    assert "broken-at-run-time" in caplog.text
    assert catalog.birthright_for(PersonFacts(email="x@acme.example", status="terminated")) == []


def test_search_matches_id_name_role_and_title_case_insensitively(catalog):
    assert [e.ref for e in catalog.search("git")] == ["github:admin", "github:member"]
    assert [e.ref for e in catalog.search("OWNER")] == ["github:admin"]
    assert [e.ref for e in catalog.search("finance pay")] == []
    assert [e.ref for e in catalog.search("finance appr")] == ["erp:approve"]
    assert [e.ref for e in catalog.search("member")] == ["github:member"]


def test_search_ranks_prefix_matches_first_and_hides_unrequestable(catalog):
    assert [e.ref for e in catalog.search("erp")] == ["erp:approve", "erp:create", "erp:vendor"]
    assert [e.ref for e in catalog.search("vendor")] == ["erp:vendor"]
    assert [e.ref for e in catalog.search("erp:vi")] == []  # erp:view is birthright only
    assert [e.ref for e in catalog.search("erp:vi", requestable_only=False)] == ["erp:view"]
    assert len(catalog.search("")) == 5


def _generated_catalog(count: int) -> str:
    lines = ["defaults:", "  approval: [manager]", "  eligibility: person.employment_type == \"employee\"",
             "resources:"]
    for i in range(count):
        lines += [
            f"  app-{i:04d}:", f"    name: Application {i:04d}", "    connector: okta", "    entitlements:",
            f"      user: {{target: g{i}u, risk: low, auto_approve: 'person.department == \"D{i % 7}\"'}}",
            f"      admin: {{target: g{i}a, risk: high, durations: {{choices: [1h, 4h]}}, "
            f"eligibility: '\"team-{i}\" in person.groups'}}",
        ]
    return "\n".join(lines) + "\n"


def test_a_thousand_resources_load_and_search_is_capped(tmp_path):
    """Speed is measured by bench/catalog_search.py; this checks what a big catalog answers."""
    (tmp_path / "big.yaml").write_text(_generated_catalog(1000))
    catalog = load_catalog(tmp_path, connectors=["okta"])
    assert len(catalog.entitlements) == 2000

    results = [catalog.search(q) for q in ("app", "application 099", "admin", "app-0999", "zzz", "a")]
    assert [len(r) for r in results] == [100, 22, 100, 2, 0, 100]  # 099: app-0099 and app-0990..0999
    assert [e.ref for e in catalog.search("app-0999")] == ["app-0999:admin", "app-0999:user"]
    assert len(catalog.search("app", limit=7)) == 7
    assert catalog.search("app", limit=7) == catalog.search("app", limit=7)
