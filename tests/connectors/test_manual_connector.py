"""The manual connector: no outside call, PENDING with instructions a person can follow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.config import ConnectorConfigError
from connectors.errors import InvalidRequest, Unsupported
from connectors.manual import ManualConnector
from connectors.registry import build_connectors, load_connectors

ALICE = Subject("alice@example.com", "Alice Liddell")
LICENCE = Target("pro-seat", entitlement="figma:editor")


def manual(**options) -> ManualConnector:
    return ManualConnector("figma", {"channel": "C0IT12345", "app": "Figma", **options})


def test_grant_is_pending_with_default_instructions():
    connector = manual()
    result = connector.grant(connector.resolve(ALICE), LICENCE, action_id="a1")
    assert result.outcome is Outcome.PENDING
    assert result.target_ref == "manual:a1"
    assert result.detail == "Give Alice Liddell <alice@example.com> figma:editor in Figma (target: pro-seat)."


def test_templates_per_action_and_per_entitlement_take_precedence():
    connector = manual(instructions="{action} {entitlement} for {email}",
                       revoke_instructions="Remove the seat of {person} in the admin console")
    principal = connector.resolve(ALICE)
    assert connector.grant(principal, LICENCE, action_id="a1").detail == "grant figma:editor for alice@example.com"
    assert connector.revoke(principal, LICENCE, action_id="a2").detail == "Remove the seat of Alice Liddell in the admin console"
    special = Target("org-admin", {"grant_instructions": "Ask Figma support to make {email} an org admin"},
                     entitlement="figma:org-admin")
    assert connector.grant(principal, special, action_id="a3").detail == "Ask Figma support to make alice@example.com an org admin"


def test_render_instructions_accepts_a_subject_for_the_workflow():
    text = manual().render_instructions(ALICE, LICENCE, "revoke")
    assert text == "Remove figma:editor from Alice Liddell <alice@example.com> in Figma (target: pro-seat)."


def test_suspend_is_a_task_too():
    result = manual().suspend(PrincipalRef("bob@example.com", "Bob"), action_id="s1")
    assert result.outcome is Outcome.PENDING
    assert result.detail == "Disable the Figma account of Bob <bob@example.com> (do not delete it)."


def test_dry_run_plans_the_task_in_the_channel():
    result = manual().grant(PrincipalRef("alice@example.com", "Alice"), LICENCE, action_id="a1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls[0].startswith("open a manual task in C0IT12345: Give Alice")


def test_task_settings_for_the_workflow():
    connector = manual(repost_after="4h", escalate_after="2d")
    assert connector.task_channel == "C0IT12345"
    assert connector.repost_after == timedelta(hours=4)
    assert connector.escalate_after == timedelta(days=2)
    assert connector.capabilities.manual and not connector.capabilities.list_members
    assert connector.check()[0].detail == "tasks go to C0IT12345; repost every 4h, escalate after 2d"


def test_nothing_is_knowable_or_listable_without_an_api():
    connector = manual()
    principal = connector.resolve(ALICE)
    with pytest.raises(Unsupported):
        connector.is_granted(principal, LICENCE)
    with pytest.raises(Unsupported):
        list(connector.list_members(LICENCE))
    pending = connector.grant(principal, LICENCE, action_id="a1")
    assert connector.poll(principal, LICENCE, pending) is pending


@pytest.mark.parametrize(("options", "message"), [
    ({"channel": "#it-help"}, "option 'channel': must be a Slack channel id"),
    ({"instructions": "Give {user} access"}, "unknown placeholder(s) {user}"),
    ({"instructions": "Give {person.__class__} access"}, "unknown placeholder(s) {person.__class__}"),
    ({"grant_instructions": "Give {person access"}, "malformed template"),
    ({"escalate_after": "soon"}, "option 'escalate_after': not a duration"),
    ({"repost_after": "0m"}, "must be longer than zero"),
])
def test_bad_options_are_refused_at_load(options, message):
    config = {"instances": {"figma": {"type": "manual", "channel": "C0IT12345", **options}}}
    with pytest.raises(ConnectorConfigError) as caught:
        build_connectors(config)
    assert message in str(caught.value)


def test_a_bad_template_in_the_catalog_is_refused_when_rendered():
    with pytest.raises(InvalidRequest, match=r"unknown placeholder\(s\) \{manager\}"):
        manual().render_instructions(ALICE, Target("x", {"instructions": "ask {manager}"}), "grant")


def test_unknown_action_is_refused():
    with pytest.raises(InvalidRequest):
        manual().render_instructions(ALICE, LICENCE, "delete")


def test_a_system_without_accounts_offers_no_suspend_and_refuses_one():
    badges = manual(accounts=False)
    assert (badges.capabilities.suspend, badges.capabilities.reactivate) == (False, False)
    assert badges.capabilities.manual and manual().capabilities.suspend  # accounts default to true
    with pytest.raises(Unsupported, match="no accounts to suspend"):
        badges.suspend(badges.resolve(ALICE), action_id="a1")
    with pytest.raises(Unsupported, match="no accounts to reactivate"):
        badges.reactivate(badges.resolve(ALICE), action_id="a2")
    assert badges.grant(badges.resolve(ALICE), LICENCE, action_id="a3").outcome is Outcome.PENDING
    assert "no accounts to suspend" in badges.check()[0].detail


def test_accounts_must_be_a_boolean_with_its_place_in_the_file(tmp_path):
    path = tmp_path / "connectors.yaml"
    path.write_text("instances:\n  doors:\n    type: manual\n    channel: C0DOORS01\n    accounts: maybe\n")
    for simulate in (False, True):  # the demo's simulation validates it too
        with pytest.raises(ConnectorConfigError) as caught:
            load_connectors(path, environ={}, simulate=simulate)
        assert f"{path}:5" in str(caught.value) and "option 'accounts'" in str(caught.value)
