"""Simulated connectors (ACCESSBOT_SIMULATE_CONNECTORS, the demo) offer what the real type offers with
the same options, and no more: the offboarding plan of a demo shows only steps the real system has."""

from __future__ import annotations

from pathlib import Path

from connectors.config import load_config
from connectors.registry import KINDS, build_connectors, connector_class, load_connectors

ACME = Path(__file__).resolve().parents[2] / "policies" / "examples" / "acme" / "connectors.yaml"


def test_a_simulated_instance_offers_what_its_real_type_offers_and_no_more():
    # The Acme example names an instance of nearly every vendor type; the demo simulates them all.
    simulated = load_connectors(ACME, environ={}, simulate=True)
    config = load_config(ACME, known_types=KINDS)
    for name, connector in simulated.items():
        real = connector_class(config.instances[name].type).capabilities
        offered = connector.capabilities
        assert (offered.suspend, offered.reactivate, offered.end_sessions, offered.list_members) == (
            real.suspend, real.reactivate, real.end_sessions, real.list_members), name
        assert not offered.async_grants and not offered.manual  # in memory, every call applies at once
    assert not simulated["github"].capabilities.suspend  # GitHub's API cannot suspend an org member
    assert simulated["okta"].capabilities.suspend and simulated["okta"].capabilities.end_sessions


def test_a_simulated_manual_system_without_accounts_offers_no_suspend():
    connectors = build_connectors({"instances": {
        "doors": {"type": "manual", "channel": "C0DOORS01", "accounts": False},
        "erp": {"type": "manual", "channel": "C0FINOPS01"}}}, simulate=True)
    assert (connectors["doors"].capabilities.suspend, connectors["doors"].capabilities.reactivate) == (False, False)
    assert connectors["erp"].capabilities.suspend
