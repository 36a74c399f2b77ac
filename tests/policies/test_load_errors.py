"""Every kind of catalog mistake is reported with its file, its line and a reason a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyIssue, PolicyLoadError, load_catalog
from tests.policies.conftest import GITHUB, write_files


def test_unknown_key_suggests_the_close_key(issues_from):
    issues = issues_from("""
        resources:
          github:
            connector: github
            entitlements:
              member:
                titel: Member
                target: acme
    """)
    assert issues == ["catalog.yaml:6: github:member: unknown key 'titel' (did you mean 'title'?)"]


def test_unknown_key_that_belongs_one_level_down_says_where(issues_from):
    issues = issues_from("""
        resources:
          github:
            connector: github
            entitlements:
              admin:
                target: acme
                maximum: 1d
    """)
    assert issues == ["catalog.yaml:7: github:admin: unknown key 'maximum' (did you mean 'maximum' under durations:?)"]


def test_unknown_top_level_key(issues_from):
    assert issues_from("resource:\n  x: {}\n") == [
        "catalog.yaml:1: unknown top-level key 'resource' (did you mean 'resources'?); allowed: settings, "
        "defaults, resources, bundles, birthright, separation_of_duties, reviews"]


def test_wrong_type_names_the_key_and_the_value(issues_from):
    issues = issues_from(GITHUB.replace("risk: low", "risk: low\n        require_ticket: 'yes'"))
    assert issues == ["catalog.yaml:10: github:member: require_ticket: should be a valid boolean, got 'yes'"]


def test_value_outside_a_fixed_set(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", "risk: severe"))
    assert issues == [
        "catalog.yaml:12: github:admin: risk: should be 'low', 'medium', 'high' or 'critical', got 'severe'"]


def test_bad_duration_string(issues_from):
    issues = issues_from(GITHUB.replace("maximum: 1d", "maximum: 1 day"))
    assert issues == ["catalog.yaml:13: github:admin: durations.maximum: '1 day' is not a duration; write a "
                      "number and a unit (m, h, d, w), e.g. \"30m\", \"4h\", \"7d\""]


def test_duration_without_unit_is_refused(issues_from):
    issues = issues_from(GITHUB.replace("default: 1h", "default: 60"))
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:13: github:admin: durations.default: 60 is not a duration")


def test_cel_syntax_error_points_at_the_line_inside_a_block(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", 'risk: high\n        eligibility: |\n'
                                        '          person.department == "Engineering" &&\n'
                                        '          person.title = "SRE"'))
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:15: github:admin: eligibility: CEL syntax error at column 14: "
                                "unexpected character '=' (use == to compare)")


def test_cel_unknown_field_is_a_load_error_with_a_suggestion(issues_from):
    issues = issues_from(GITHUB.replace("risk: low", "risk: low\n        auto_approve: person.departement == 'x'"))
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:10: github:member: auto_approve 'auto-approve': person has no "
                                "field 'departement' (did you mean 'department'?)")


def test_cel_variable_not_available_in_eligibility(issues_from):
    issues = issues_from(GITHUB.replace("risk: low", "risk: low\n        eligibility: request.duration_hours < 4.0"))
    assert issues == ["catalog.yaml:10: github:member: eligibility: unknown name 'request'; a condition here "
                      "can use entitlement, owner_departments, person"]


def test_cel_unknown_function(issues_from):
    issues = issues_from(GITHUB.replace("risk: low", "risk: low\n        eligibility: person.email.endswith('x')"))
    assert issues == ["catalog.yaml:10: github:member: eligibility: unknown function endswith() "
                      "(did you mean 'endsWith'?)"]


def test_unknown_connector(issues_from):
    issues = issues_from(GITHUB, connectors=["gitlab", "okta"])
    assert issues == ["catalog.yaml:5: resource github: unknown connector 'github'; configured connectors: "
                      "gitlab, okta"]


def test_unknown_connector_with_suggestion(issues_from):
    issues = issues_from(GITHUB.replace("connector: github", "connector: githb"), connectors=["github"])
    assert issues == ["catalog.yaml:5: resource github: unknown connector 'githb' (did you mean 'github'?); "
                      "configured connectors: github"]


def test_missing_connector_and_target(issues_from):
    issues = issues_from("""
        resources:
          wiki:
            entitlements:
              editor: {}
    """)
    assert issues == [
        "catalog.yaml:4: wiki:editor has no connector: set connector: on the entitlement or on resource wiki "
        "(a name from connectors.yaml)",
        "catalog.yaml:4: wiki:editor has no target: (the group, team, permission set or account that the "
        "connector grants)",
    ]


def test_default_above_maximum(issues_from):
    issues = issues_from(GITHUB.replace("default: 1h, maximum: 1d", "default: 2d, maximum: 1d"))
    assert issues == ["catalog.yaml:13: github:admin: durations: default 2d is above the maximum 1d"]


def test_choices_above_maximum(issues_from):
    issues = issues_from(GITHUB.replace("choices: [1h, 4h, 1d]", "choices: [1h, 4h, 7d]"))
    assert issues == ["catalog.yaml:13: github:admin: durations: choice 7d is above the maximum 1d"]


def test_permanent_default_when_permanent_is_refused_next_to_it(issues_from):
    issues = issues_from(GITHUB.replace("default: 1h, maximum: 1d", "default: permanent, permanent: false"))
    assert issues == ["catalog.yaml:13: github:admin: durations: default includes 'permanent' but "
                      "permanent: false is written next to it"]


def test_unknown_entitlement_in_bundle_sod_and_birthright(issues_from):
    issues = issues_from(GITHUB + """
bundles:
  starter:
    entitlements: [github:membr, jira:user]
separation_of_duties:
  - name: split
    entitlements: [github:member, github:owner]
    reason: nobody holds both
birthright:
  - name: everyone
    when: person.status == "active"
    grant: [github:member, slack:user]
""")
    assert issues == [
        "catalog.yaml:17: unknown entitlement 'github:membr': resource github has no role 'membr' "
        "(did you mean 'member'?); roles: admin, member",
        "catalog.yaml:17: unknown entitlement 'jira:user'",
        "catalog.yaml:20: unknown entitlement 'github:owner': resource github has no role 'owner'; roles: "
        "admin, member",
        "catalog.yaml:25: unknown entitlement 'slack:user'",
    ]


def test_owner_and_approver_must_be_in_the_directory(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", "risk: high\n        approval:\n"
                                        "          - kind: people\n"
                                        "            people: [cto@acme.example, ghost@acme.example]"),
                         people=["cto@acme.example", "someone@acme.example"])
    assert issues == [
        "catalog.yaml:4: owner owner@acme.example is not in the people directory",
        "catalog.yaml:15: approver ghost@acme.example is not in the people directory",
    ]


def test_unknown_group_in_step_and_settings(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", "risk: high\n        approval: [{group: secops}]") + """
settings:
  it_admins_group: it-admin
""", groups=["it-admins", "security"])
    assert issues == [
        "catalog.yaml:13: unknown directory group 'secops'",
        "catalog.yaml:17: unknown directory group 'it-admin' (did you mean 'it-admins'?)",
    ]


def test_quorum_larger_than_the_people_named(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", "risk: high\n        approval:\n"
                                        "          - people: [a@acme.example, b@acme.example]\n"
                                        "            quorum: 3"))
    assert issues == ["catalog.yaml:14: github:admin: approval #1: quorum 3 is larger than the 2 people named"]


def test_quorum_must_be_any_or_a_positive_number(issues_from):
    issues = issues_from(GITHUB.replace("risk: high", "risk: high\n        approval: [{kind: owners, quorum: all}]"))
    assert issues == ["catalog.yaml:13: github:admin: approval #1.quorum: quorum must be 'any' or a whole "
                      "number of at least 1, not 'all'"]


def test_owners_step_without_owners(issues_from):
    issues = issues_from("""
        defaults:
          approval: [manager, owners]
        resources:
          wiki:
            connector: okta
            entitlements:
              editor: {target: g1}
    """)
    assert issues == ["catalog.yaml:4: resource wiki has no owners, but its approval chain has an 'owners' step "
                      "(catalog defaults, catalog.yaml:2)"]


def test_duplicate_resource_across_files(issues_from):
    issues = issues_from(files={"a.yaml": GITHUB, "b.yaml": GITHUB})
    assert issues == ["b.yaml:2: duplicate resource 'github' (first defined at a.yaml:2)"]


def test_duplicate_key_in_one_file(issues_from):
    issues = issues_from(GITHUB.replace("    connector: github\n", "    connector: github\n    connector: okta\n"))
    assert issues == ["catalog.yaml:6: duplicate key 'connector' (first defined on line 5)"]


def test_settings_defined_twice(issues_from):
    issues = issues_from(files={"a.yaml": "settings: {it_channel: C0123ABCD}\n",
                                "b.yaml": GITHUB + "settings: {timezone: UTC}\n"})
    assert issues == ["b.yaml:14: duplicate section 'settings' (first defined at a.yaml:1)"]


def test_invalid_yaml_gives_the_parser_line(issues_from):
    issues = issues_from("resources:\n  github:\n    name: [unclosed\n")
    assert len(issues) == 1
    assert issues[0].startswith("catalog.yaml:4: invalid YAML: while parsing a flow sequence")


def test_channel_name_instead_of_id(issues_from):
    issues = issues_from(GITHUB.replace("name: GitHub", "name: GitHub\n    approvals_channel: '#eng'"))
    assert issues == ["catalog.yaml:4: resource github: approvals_channel: '#eng' is not a Slack channel id; use "
                      "the id (e.g. C0123ABCD, from the channel's 'About' tab), not its name"]


def test_bad_ticket_pattern_and_time_zone(issues_from):
    issues = issues_from(GITHUB.replace("risk: low", "risk: low\n        ticket_pattern: '(ENG-'")
                         + "settings:\n  timezone: Mars/Olympus\n")
    assert issues == [
        "catalog.yaml:10: github:member: ticket_pattern: ticket_pattern is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0",
        "catalog.yaml:16: settings: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as "
        "Europe/London",
    ]


def test_bundle_that_breaks_separation_of_duties(issues_from):
    issues = issues_from(GITHUB + """
bundles:
  too-much:
    entitlements: [github:member, github:admin]
separation_of_duties:
  - name: member-or-admin
    entitlements: [github:member, github:admin]
    reason: pick one
""")
    assert issues == ["catalog.yaml:17: bundle 'too-much' contains github:member and github:admin, which "
                      "separation-of-duties rule 'member-or-admin' forbids holding together (catalog.yaml:19)"]


def test_every_issue_is_collected_not_just_the_first(issues_from):
    issues = issues_from(files={
        "apps.yaml": GITHUB.replace("risk: low", "risk: lo").replace("maximum: 1d", "maximum: 1x"),
        "more.yaml": "resources:\n  wiki:\n    connector: okta\n    entitlements:\n      editor: {target: g, "
                     "approval: [{kind: people, people: [not-an-email]}]}\n",
        "rules.yaml": "bundles:\n  b: {entitlements: [nothing:here]}\n",
    })
    assert issues == [
        "apps.yaml:9: github:member: risk: should be 'low', 'medium', 'high' or 'critical', got 'lo'",
        "apps.yaml:13: github:admin: durations.maximum: '1x' is not a duration; write a number and a unit "
        "(m, h, d, w), e.g. \"30m\", \"4h\", \"7d\"",
        "more.yaml:5: wiki:editor: approval #1.people #1: 'not-an-email' is not an email address",
        "rules.yaml:2: unknown entitlement 'nothing:here'",
    ]


def test_error_text_is_one_file_line_reason_per_issue():
    error = PolicyLoadError([PolicyIssue("a.yaml", 3, "first"), PolicyIssue("b.yaml", None, "second")])
    assert str(error) == "a.yaml:3: first\nb.yaml: second"
    assert error.issues[0].line == 3


def test_people_and_connectors_files_in_the_directory_are_ignored(tmp_path):
    write_files(tmp_path, {"apps.yaml": GITHUB, "people.yaml": "people: [{email: a@b.example}]\n",
                           "connectors.yaml": "instances: {github: {type: github}}\n",
                           "people.csv": "email\nx@y.example\n"})
    catalog = load_catalog(tmp_path)
    assert set(catalog.entitlements) == {"github:member", "github:admin"}


def test_a_missing_path_or_an_empty_directory_is_an_error(tmp_path):
    with pytest.raises(PolicyLoadError, match="no such file or directory"):
        load_catalog(tmp_path / "nowhere")
    with pytest.raises(PolicyLoadError, match=r"no catalog files \(\*\.yaml\)"):
        load_catalog(tmp_path)


def test_a_file_that_is_not_a_mapping(issues_from):
    assert issues_from("- just\n- a list\n") == [
        "catalog.yaml:1: a catalog file must be a mapping with keys such as resources:, bundles:, settings:"]


def test_a_subdirectory_is_read_too(tmp_path):
    write_files(tmp_path, {"teams/eng/github.yaml": GITHUB})
    assert "github:admin" in load_catalog(tmp_path).entitlements
    assert Path(load_catalog(tmp_path).entitlements["github:admin"].source.file).name == "github.yaml"


def test_shape_mistakes_say_what_was_expected(issues_from):
    issues = issues_from("""
        resources:
          github:
          wiki:
            owners: ann@acme.example
            entitlements:
              editor: {target: [a], durations: 4h, approval: manager}
    """)
    assert issues == [
        "catalog.yaml:2: resource github: should be a mapping with keys such as name, description, owners, "
        "entitlements, got None",
        "catalog.yaml:4: resource wiki: owners: should be a list, got 'ann@acme.example'; write [ann@acme.example]",
        "catalog.yaml:6: wiki:editor: durations: should be a mapping with keys such as choices, default, maximum, "
        "permanent, got '4h'",
        "catalog.yaml:6: wiki:editor: approval: should be a list, got 'manager'; write [manager]",
        "catalog.yaml:6: wiki:editor: target: should be a text value, got ['a']",
    ]


def test_duplicate_bundle_and_rule_names_across_files(issues_from):
    rules = """
        bundles:
          starter: {entitlements: [github:member]}
        birthright:
          - {name: everyone, when: 'person.status == "active"', grant: [github:member]}
    """
    issues = issues_from(files={"apps.yaml": GITHUB, "a.yaml": rules, "b.yaml": rules})
    assert issues == [
        "b.yaml:2: duplicate bundle 'starter' (first defined at a.yaml:2)",
        "b.yaml:4: duplicate birthright rule 'everyone' (first defined at a.yaml:4)",
    ]


def test_several_documents_in_one_file(issues_from):
    issues = issues_from(GITHUB + "---\nbundles: {}\n")
    assert issues == ["catalog.yaml:14: invalid YAML: expected a single document in the stream but found "
                      "another document"]


def test_offboarding_four_eyes_settings_are_read_and_checked(catalog_from, issues_from, acme):
    assert acme.settings.offboarding.second_confirmation == "privileged"  # the default: high/critical grants
    assert acme.settings.offboarding.privileged_risks == frozenset({"high", "critical"})
    catalog = catalog_from(GITHUB + "settings:\n  offboarding:\n    second_confirmation: always\n"
                                    "    privileged_risks: [critical]\n    break_glass: false\n")
    rules = catalog.settings.offboarding
    assert (rules.second_confirmation, rules.privileged_risks, rules.break_glass) == ("always", {"critical"}, False)
    issues = issues_from(GITHUB + "settings:\n  offboarding:\n    second_confirmation: sometimes\n")
    assert issues == ["catalog.yaml:16: settings: offboarding.second_confirmation: should be 'privileged', 'always' "
                      "or 'never', got 'sometimes'"]


def test_a_scheduling_horizon_out_of_range(issues_from):
    issues = issues_from(GITHUB + "settings:\n  max_start_ahead: 3651d\n")
    assert issues == ["catalog.yaml:15: settings: max_start_ahead: 3651 days is too far: at most 3650d (ten years)"]


def test_the_scheduling_horizon_defaults_to_90_days_and_can_be_set(tmp_path):
    from datetime import timedelta

    write_files(tmp_path / "default", {"catalog.yaml": GITHUB})
    write_files(tmp_path / "set", {"catalog.yaml": GITHUB + "settings:\n  max_start_ahead: 14d\n"})
    assert load_catalog(tmp_path / "default").settings.max_start_ahead == timedelta(days=90)
    assert load_catalog(tmp_path / "set").settings.max_start_ahead == timedelta(days=14)
