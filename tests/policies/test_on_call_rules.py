"""on_call()/on_call_level() in auto-approve rules: checked at load, false whenever the lookup cannot tell."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from policies import PersonFacts, RequestFacts
from policies.on_call import OnCallAnswers, OnCallStatus

END = datetime(2026, 11, 2, 10, 30, tzinfo=timezone.utc)
CATALOG = """
    resources:
      payments-prod:
        connector: aws
        approval: [{people: [olga@acme.test]}]
        entitlements:
          deploy:
            target: deployers
            auto_approve:
              - name: payments first responder
                when: 'on_call("payments") && on_call_level("payments") == 1 && entitlement.ref == "payments-prod:deploy"'
                ends_with_shift: true
          read: {target: readers}
"""


class Roster:
    """An OnCallLookup over a fixed table: (schedule, email) -> status; anything else is unknown."""

    def __init__(self, table: dict[tuple[str, str], OnCallStatus]):
        self.table = table
        self.asked: list[tuple[str, str]] = []

    def status(self, schedule: str, email: str) -> OnCallStatus:
        self.asked.append((schedule, email))
        return self.table.get((schedule, email), OnCallStatus(False))


ALICE = PersonFacts(email="alice@acme.test")
REQUEST = RequestFacts(duration=timedelta(hours=4))


def test_the_first_responder_is_auto_approved_until_the_end_of_the_shift(catalog_from):
    deploy = catalog_from(CATALOG).entitlement("payments-prod:deploy")
    assert deploy.on_call_schedules == {"payments"}
    roster = Roster({("payments", "alice@acme.test"): OnCallStatus(True, 1, END)})
    answers = OnCallAnswers(roster, "alice@acme.test")
    approval = deploy.auto_approval(ALICE, REQUEST, on_call=answers)
    assert approval.rule.name == "payments first responder" and approval.ends_by == END
    assert roster.asked == [("payments", "alice@acme.test")]  # asked once for both functions


def test_level_two_unknown_and_no_lookup_are_all_not_on_call(catalog_from):
    deploy = catalog_from(CATALOG).entitlement("payments-prod:deploy")
    second = OnCallAnswers(Roster({("payments", "alice@acme.test"): OnCallStatus(True, 2, END)}), "alice@acme.test")
    assert deploy.auto_approval(ALICE, REQUEST, on_call=second) is None
    down = OnCallAnswers(Roster({("payments", "alice@acme.test"): OnCallStatus.unknown("PagerDuty timed out")}),
                         "alice@acme.test")
    assert deploy.auto_approval(ALICE, REQUEST, on_call=down) is None
    assert down.problems == ["on-call schedule 'payments': PagerDuty timed out"]
    assert deploy.auto_approval(ALICE, REQUEST) is None  # nobody configured an on-call source


def test_on_call_is_refused_outside_auto_approve_and_with_a_computed_schedule(issues_from):
    issues = issues_from("""
        resources:
          app:
            connector: aws
            entitlements:
              a: {target: t, eligibility: 'on_call("payments")'}
              b: {target: t, auto_approve: 'on_call(person.department)'}
              c: {target: t, auto_approve: {when: 'person.department == "Ops"', ends_with_shift: true}}
    """)
    assert len(issues) == 3
    assert 'on_call() can only be called as on_call("schedule") in auto_approve rules' in issues[0]
    assert "on_call() takes one schedule name in quotes" in issues[1]
    assert "ends_with_shift needs a condition that calls" in issues[2]
