"""Entitlement values override resource values, which override catalog defaults, field by field."""

from __future__ import annotations

from datetime import timedelta

H, D = timedelta(hours=1), timedelta(days=1)

LAYERED = """
defaults:
  risk: medium
  require_justification: false
  approval: [manager]
  reminder_after: 2h
  escalate_after_reminders: 3
  request_timeout: 2d
  approvals_channel: C0DEFAULT1
  durations: {choices: [1h, 4h, 1d, 7d, 30d], default: 1d, maximum: 30d}
resources:
  erp:
    name: Finance ERP
    owners: [cfo@acme.example, controller@acme.example]
    connector: manual
    risk: high
    approvals_channel: C0FINANCE1
    eligibility: person.department == "Finance"
    approval: [manager, owners]
    durations: {maximum: 7d}
    entitlements:
      viewer:
        target: role-viewer
        risk: low
        approval: [manager]
      payer:
        target: role-payer
        owners: [treasurer@acme.example]
        durations: {choices: [1h, 1d, 14d], maximum: 14d}
        request_timeout: 4h
"""


def test_entitlement_overrides_resource_overrides_catalog(catalog_from):
    catalog = catalog_from(LAYERED)
    viewer, payer = catalog.entitlement("erp:viewer"), catalog.entitlement("erp:payer")
    assert (viewer.risk, payer.risk) == ("low", "high")
    assert [s.kind for s in viewer.approval_steps] == ["manager"]
    assert [s.kind for s in payer.approval_steps] == ["manager", "owners"]
    assert viewer.require_justification is False  # from the catalog defaults
    assert (viewer.reminder_after, viewer.escalate_after_reminders, viewer.request_timeout) == (2 * H, 3, 2 * D)
    assert payer.request_timeout == 4 * H
    assert viewer.approvals_channel == "C0FINANCE1"
    assert viewer.eligibility is not None and viewer.eligibility.condition.source == 'person.department == "Finance"'


def test_owners_come_from_the_resource_unless_the_entitlement_names_its_own(catalog_from):
    catalog = catalog_from(LAYERED)
    assert catalog.entitlement("erp:viewer").owners == ["cfo@acme.example", "controller@acme.example"]
    assert catalog.entitlement("erp:payer").owners == ["treasurer@acme.example"]
    assert catalog.resources["erp"].owners == ["cfo@acme.example", "controller@acme.example"]


def test_inherited_choices_above_a_resource_maximum_are_dropped_and_the_default_kept(catalog_from):
    viewer = catalog_from(LAYERED).entitlement("erp:viewer").durations
    assert viewer.maximum == 7 * D
    assert viewer.choices == [H, 4 * H, D, 7 * D]
    assert viewer.default == D


def test_choices_written_more_specifically_set_the_bound(catalog_from):
    payer = catalog_from(LAYERED).entitlement("erp:payer").durations
    assert (payer.choices, payer.maximum, payer.default) == ([H, D, 14 * D], 14 * D, D)


def test_an_entitlements_own_menu_lowers_an_inherited_maximum(catalog_from):
    catalog = catalog_from(LAYERED.replace("risk: low\n", "risk: low\n        durations: {choices: [1h, 4h]}\n"))
    viewer = catalog.entitlement("erp:viewer").durations
    assert (viewer.choices, viewer.maximum) == ([H, 4 * H], 4 * H)
    assert viewer.default == 4 * H  # the inherited 1d default is lowered to fit
    assert viewer.validate(D) == "1 day is above the 4-hour maximum for Finance ERP viewer"


def test_origins_say_where_each_value_was_written(catalog_from):
    viewer = catalog_from(LAYERED).entitlement("erp:viewer")
    assert viewer.origins["risk"].startswith("entitlement erp:viewer, ")
    assert viewer.origins["eligibility"].startswith("resource erp, ")
    assert viewer.origins["reminder_after"].startswith("catalog defaults, ")
    assert viewer.origins["durations.maximum"].startswith("resource erp, ")
    assert viewer.origins["require_ticket"] == "built-in default"
    assert viewer.origins["risk"].endswith("catalog.yaml:23")


def test_settings_carry_catalog_wide_reminder_defaults(catalog_from):
    settings = catalog_from(LAYERED).settings
    assert (settings.default_reminder_after, settings.default_escalate_after_reminders,
            settings.default_request_timeout) == (2 * H, 3, 2 * D)


def test_a_defaults_condition_is_checked_even_when_every_entitlement_overrides_it(issues_from):
    issues = issues_from(LAYERED.replace("  risk: medium\n", "  risk: medium\n  eligibility: person.dept == 1\n"))
    assert issues == ["catalog.yaml:3: defaults: eligibility: person has no field 'dept'; known fields: email, "
                      "name, department, title, location, employment_type, groups, is_manager, manager_email, "
                      "status, attributes"]
