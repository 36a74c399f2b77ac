"""Eligibility and auto-approve conditions: true, false, and failures that must not crash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import PersonFacts, RequestFacts
from policies.cel import CelCompileError, compile_condition
from policies.context import PERSON_FIELDS, person_value

ENGINEER = PersonFacts(email="eve@acme.example", department="Engineering", title="SRE", groups=("sre", "oncall"),
                       attributes={"cost_center": "ENG-1", "clearance": 3})
SALES = PersonFacts(email="sam@acme.example", department="Sales", employment_type="contractor")

CATALOG = """
resources:
  aws:
    name: AWS
    owners: [owner@acme.example]
    connector: aws
    entitlements:
      admin:
        target: "123456789012"
        risk: critical
        eligibility:
          when: '"sre" in person.groups && person.employment_type == "employee"'
          description: employed SREs only
        approval: [manager]
        auto_approve:
          - name: short on-call
            when: '"oncall" in person.groups && request.duration_hours > 0.0 && request.duration_hours <= 1.0'
          - name: ticketed
            when: request.ticket.startsWith("INC-") && entitlement.risk != "critical"
      read:
        target: "123456789012"
        risk: low
        eligibility: person.attributes.clearance >= 2
        auto_approve: entitlement.risk == "low" && person.department == "Engineering"
      open:
        target: "123456789012"
"""


@pytest.fixture
def aws(catalog_from):
    return catalog_from(CATALOG)


def test_eligibility_true_names_the_rule_and_where_it_is(aws):
    verdict = aws.entitlement("aws:admin").is_eligible(ENGINEER)
    assert verdict.allowed and bool(verdict)
    assert 'meets the eligibility rule "employed SREs only"' in verdict.reason
    assert "catalog.yaml:10)" in verdict.reason


def test_eligibility_false_says_which_rule_failed(aws):
    verdict = aws.entitlement("aws:admin").is_eligible(SALES)
    assert not verdict.allowed
    assert verdict.reason.startswith('sam@acme.example does not meet the eligibility rule "employed SREs only" '
                                     "for AWS admin")


def test_missing_attribute_at_run_time_is_not_eligible_with_the_error(aws):
    verdict = aws.entitlement("aws:read").is_eligible(SALES)  # SALES has no clearance attribute
    assert not verdict.allowed
    assert "could not be evaluated" in verdict.reason
    assert "clearance" in verdict.reason
    assert aws.entitlement("aws:read").is_eligible(ENGINEER).allowed


def test_no_eligibility_rule_means_every_active_person(aws):
    assert aws.entitlement("aws:open").is_eligible(SALES).allowed
    suspended = PersonFacts(email="x@acme.example", status="suspended")
    verdict = aws.entitlement("aws:open").is_eligible(suspended)
    assert not verdict.allowed and "not active" in verdict.reason


def test_auto_approve_reports_the_matching_rule(aws):
    admin = aws.entitlement("aws:admin")
    rule = admin.auto_approve_rule(ENGINEER, RequestFacts(timedelta(hours=1)))
    assert rule is not None and rule.startswith("auto-approve rule 'short on-call'")


def test_auto_approve_false_cases(aws):
    admin = aws.entitlement("aws:admin")
    assert admin.auto_approve_rule(ENGINEER, RequestFacts(timedelta(hours=4))) is None  # too long
    assert admin.auto_approve_rule(ENGINEER, RequestFacts(None)) is None  # permanent is -1 hours
    assert admin.auto_approve_rule(SALES, RequestFacts(timedelta(hours=1), ticket="INC-1")) is None  # critical
    assert admin.auto_approve_rule(PersonFacts(email="gone@acme.example", groups=("oncall",), status="terminated"),
                                   RequestFacts(timedelta(hours=1))) is None


def test_auto_approve_sees_entitlement_risk(aws):
    read = aws.entitlement("aws:read")
    assert read.auto_approve_rule(ENGINEER, RequestFacts(timedelta(hours=4))).startswith("auto-approve rule")
    assert read.auto_approve_rule(SALES, RequestFacts(timedelta(hours=4))) is None


def test_no_approval_steps_means_approved_on_submission(catalog_from):
    catalog = catalog_from(CATALOG.replace("approval: [manager]", "approval: []"))
    reason = catalog.entitlement("aws:admin").auto_approve_rule(SALES, RequestFacts(timedelta(hours=1)))
    assert reason == "AWS admin has no approval steps: requests are approved on submission"


def test_trace_lists_every_rule_with_its_outcome(aws):
    trace = aws.entitlement("aws:admin").auto_approve_trace(ENGINEER, RequestFacts(timedelta(hours=2)))
    assert [(rule.name, value, error) for rule, value, error in trace] == [
        ("short on-call", False, None), ("ticketed", False, None)]


def test_a_condition_that_is_not_boolean_is_false_with_a_reason():
    condition = compile_condition("person.department", {"person": PERSON_FIELDS})
    result = condition.evaluate({"person": person_value(ENGINEER)})
    assert (result.value, result.error) == (False, "the condition gave string Engineering, not true or false")


def test_string_helpers_and_macros():
    variables = {"person": PERSON_FIELDS}
    act = {"person": person_value(ENGINEER)}
    assert compile_condition('person.department.lowerAscii() == "engineering"', variables).evaluate(act).value
    assert compile_condition('person.groups.exists(g, g.startsWith("on"))', variables).evaluate(act).value
    assert compile_condition("has(person.attributes.cost_center)", variables).evaluate(act).value
    assert not compile_condition("has(person.attributes.badge)", variables).evaluate(act).value
    assert compile_condition("person.attributes.clearance > 2", variables).evaluate(act).value


def test_compile_errors_carry_the_line_inside_the_expression():
    with pytest.raises(CelCompileError) as caught:
        compile_condition('person.department == "x" &&\n  person.nope', {"person": PERSON_FIELDS})
    assert caught.value.line == 2
    assert "person has no field 'nope'" in str(caught.value)


def test_compiled_once_and_shared_by_text():
    first = compile_condition('person.title == "CEO"', {"person": PERSON_FIELDS})
    again = compile_condition('person.title == "CEO"', {"person": PERSON_FIELDS})
    assert first is again
