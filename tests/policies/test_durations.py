"""Durations: parsing, people-readable forms, bounds, defaults, permanent, warnings and extensions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.durations import DurationError, adjective, humanize, parse_duration, short
from tests.policies.conftest import GITHUB

H, D = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize("text, expected", [
    ("30m", timedelta(minutes=30)), ("4h", 4 * H), ("1d", D), ("7d", 7 * D), ("2w", 14 * D),
    ("1d12h", 36 * H), (" 90m ", timedelta(minutes=90)), ("permanent", None), ("PERMANENT", None),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "4 hours", "h4", "-1h", "0m", "1y", "forever"])
def test_parse_duration_refuses_what_is_not_a_duration(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_parse_duration_refuses_numbers_and_permanent_where_not_allowed():
    with pytest.raises(DurationError, match="with a unit"):
        parse_duration(4)  # type: ignore[arg-type]
    with pytest.raises(DurationError, match="'permanent' is not allowed here"):
        parse_duration("permanent", allow_permanent=False)


def test_human_forms():
    assert humanize(D) == "1 day"
    assert humanize(28 * H) == "1 day 4 hours"
    assert humanize(14 * D) == "2 weeks"
    assert humanize(10 * D) == "10 days"
    assert humanize(None) == "permanent"
    assert adjective(D) == "1-day"
    assert short(timedelta(minutes=90)) == "1h30m"


def test_validate_bounds_and_message(catalog_from):
    admin = catalog_from(GITHUB).entitlement("github:admin").durations
    assert admin.validate(4 * H) is None
    assert admin.validate(D) is None
    assert admin.validate(4 * D) == "4 days is above the 1-day maximum for GitHub admin"
    assert admin.validate(None) == "GitHub admin cannot be granted permanently; the maximum is 1 day"
    assert admin.validate(timedelta()) == "the duration must be positive"


def test_default_maximum_and_choices_are_resolved(catalog_from):
    admin = catalog_from(GITHUB).entitlement("github:admin").durations
    assert (admin.choices, admin.default, admin.maximum, admin.permanent_allowed) == ([H, 4 * H, D], H, D, False)


def test_built_in_durations_when_nothing_is_written(catalog_from):
    member = catalog_from(GITHUB).entitlement("github:member").durations
    assert member.choices == [H, 4 * H, D, 7 * D]
    assert (member.default, member.maximum, member.permanent_allowed) == (H, 7 * D, False)


def test_permanent_allowed(catalog_from):
    catalog = catalog_from(GITHUB.replace("risk: low", "risk: low\n        durations: {choices: [30d, permanent]}"))
    member = catalog.entitlement("github:member").durations
    assert member.permanent_allowed and member.maximum is None
    assert member.validate(None) is None
    assert member.validate(400 * D) is None
    assert member.describe() == "30d, permanent (default 30d)"


def test_default_permanent_allows_permanent(catalog_from):
    catalog = catalog_from(GITHUB.replace("risk: low", "risk: low\n        durations: {default: permanent}"))
    member = catalog.entitlement("github:member").durations
    assert member.default is None and member.permanent_allowed


def test_a_default_outside_the_choices_joins_the_menu(catalog_from):
    catalog = catalog_from(GITHUB.replace("risk: low", "risk: low\n        durations: {choices: [1h, 1d], "
                                                       "default: 4h}"))
    assert catalog.entitlement("github:member").durations.choices == [H, 4 * H, D]


def test_clamp_extension(catalog_from):
    admin = catalog_from(GITHUB).entitlement("github:admin").durations
    assert admin.clamp_extension(4 * H, 4 * H) == 4 * H
    assert admin.clamp_extension(20 * H, 8 * H) == 4 * H
    assert admin.clamp_extension(D, H) == timedelta()


def test_expiry_warnings_default_fit_the_grant(catalog_from):
    member = catalog_from(GITHUB).entitlement("github:member")
    assert member.expiry_warnings == [D, H]
    assert member.warnings_for(7 * D) == [D, H]
    assert member.warnings_for(4 * H) == [H]
    assert member.warnings_for(H) == [timedelta(minutes=10)]  # short JIT grants: 10 minutes before
    assert member.warnings_for(timedelta(minutes=15)) == []
    assert member.warnings_for(None) == []


def test_configured_expiry_warnings_are_kept_inside_the_grant(catalog_from):
    catalog = catalog_from(GITHUB.replace("risk: high", "risk: high\n        expiry_warnings: [2h, 30m]"))
    admin = catalog.entitlement("github:admin")
    assert admin.expiry_warnings == [2 * H, timedelta(minutes=30)]
    assert admin.warnings_for(4 * H) == [2 * H, timedelta(minutes=30)]
    assert admin.warnings_for(H) == [timedelta(minutes=30)]


def test_request_check_covers_duration_justification_and_ticket(catalog_from):
    from policies import RequestFacts

    catalog = catalog_from(GITHUB.replace("risk: high", "risk: high\n        require_ticket: true\n"
                                                        "        ticket_pattern: '^ENG-[0-9]+$'"))
    admin = catalog.entitlement("github:admin")
    assert admin.check_request(RequestFacts(H, "deploy fix", "ENG-42")) == []
    assert admin.check_request(RequestFacts(2 * D, "", "")) == [
        "2 days is above the 1-day maximum for GitHub admin",
        "GitHub admin needs a justification",
        "GitHub admin needs a ticket reference",
    ]
    assert admin.check_request(RequestFacts(H, "why", "JIRA-1")) == [
        "'JIRA-1' does not look like a ticket for GitHub admin (expected to match ^ENG-[0-9]+$)"]
