"""``reviews:`` campaigns in the catalog: valid ones load, mistakes fail at their file:line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.policies.conftest import GITHUB


def test_a_campaign_loads_with_its_defaults(catalog_from):
    catalog = catalog_from(GITHUB + """
reviews:
  - name: q
    scope: {resources: [github], risk: [high], when: 'grant.permanent && person.department == "Eng"'}
    reviewers: [manager, owners, {people: [owner@acme.example]}]
    recurrence: {every: quarterly, day: 3}
""")
    campaign = catalog.reviews["q"]
    assert campaign.at_deadline == "revoke" and campaign.duration == timedelta(days=14)
    assert [r.kind for r in campaign.reviewers] == ["manager", "owners", "people"]
    assert campaign.reminders == (timedelta(days=3), timedelta(days=1))
    after = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert campaign.next_start(after) == datetime(2027, 1, 3, tzinfo=timezone.utc)
    assert campaign.next_start(datetime(2026, 10, 1, tzinfo=timezone.utc)) == datetime(2026, 10, 3, tzinfo=timezone.utc)


def test_shape_mistakes_name_their_line(issues_from):
    issues = issues_from(GITHUB + """
reviews:
  - name: q
    at_deadline: ignore
""")
    assert issues == ["catalog.yaml:17: review campaign 'q': at_deadline: should be 'revoke', 'keep' or 'escalate', "
                      "got 'ignore'"]
    [issue] = issues_from(GITHUB + "reviews:\n  - name: q\n    duration: 2d\n    reminders: [3d]\n")
    assert issue.startswith("catalog.yaml:15: review campaign 'q'") and "not inside the campaign's duration" in issue


def test_references_and_cel_are_checked_against_the_catalog(issues_from):
    issues = issues_from(GITHUB + """
reviews:
  - name: q
    scope:
      entitlements: [github:membr]
      connectors: [nope]
      when: 'grant.colour == "red"'
    reviewers: [{group: ghosts}]
""", groups=["it-admins"], connectors=["github"])
    assert any(i.startswith("catalog.yaml:18:") and "unknown entitlement 'github:membr'" in i for i in issues), issues
    assert any(i.startswith("catalog.yaml:19:") and "unknown connector instance 'nope'" in i for i in issues), issues
    assert any(i.startswith("catalog.yaml:20:") and "scope.when" in i for i in issues), issues
    assert any(i.startswith("catalog.yaml:21:") and "unknown group 'ghosts'" in i for i in issues), issues


def test_two_campaigns_with_one_name(issues_from):
    issues = issues_from(GITHUB + "reviews:\n  - name: q\n  - name: q\n")
    assert issues == ["catalog.yaml:16: duplicate review campaign 'q' (first defined at catalog.yaml:15)"]
