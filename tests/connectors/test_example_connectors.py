"""The Acme example deploys: every instance of its connectors file builds with the REAL connector
class (fake credentials, nothing contacted), and every entitlement's target fits its instance's type."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.config import as_reference, load_config
from connectors.kinds import connector_class
from connectors.memory import MemoryConnector
from connectors.registry import build_connectors
from connectors.schema_check import check_config, target_checks
from connectors.targets import target_problems
from policies import load_catalog
from tests.policies.conftest import ACME


def fake_credentials(config) -> dict[str, str]:
    """A value for every {env:} reference of the file; the Google key must be a parseable key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    google_key = json.dumps({"type": "service_account", "project_id": "acme", "private_key_id": "k1",
                             "private_key": pem, "client_email": "accessbot@acme.iam.gserviceaccount.com",
                             "client_id": "1234", "token_uri": "https://oauth2.googleapis.com/token"})
    environ = {}
    for instance in config.instances.values():
        for option, value in instance.options.items():
            reference = as_reference(value)
            if reference is not None:
                assert reference[0] == "env", f"{instance.name}.{option}: the example uses {{env:}} references"
                environ[reference[1]] = google_key if instance.type == "google" else f"fake-{option}"
    return environ


@pytest.fixture(scope="module")
def example():
    config = load_config(ACME / "connectors.yaml")
    return config, fake_credentials(config)


def test_every_example_instance_builds_with_its_real_connector_class(example):
    config, environ = example
    assert check_config(config, environ) == {}
    connectors = build_connectors(config, environ=environ)
    try:
        assert set(connectors) == set(config.instances) and len(connectors) == 9
        for name, instance in config.instances.items():
            built = connectors[name]
            assert type(built) is connector_class(instance.type)
            assert not isinstance(built, MemoryConnector)
    finally:
        connectors.close()


def test_every_example_target_fits_its_instance_type(example):
    config, _ = example
    types = {name: instance.type for name, instance in config.instances.items()}
    catalog = load_catalog(ACME / "catalog", connectors=list(types), targets=target_checks(types))
    assert len(catalog.entitlements) == 27
    for entitlement in catalog.entitlements.values():
        model = connector_class(types[entitlement.connector]).target_model
        assert target_problems(model, entitlement.target, entitlement.target_options) == [], entitlement.ref


def test_without_credentials_the_example_reports_each_absent_one_beside_no_option_error(example):
    config, environ = example
    found = check_config(config, {})
    assert all(not problems.options for problems in found.values())
    absent = sorted(line for problems in found.values() for line in problems.credentials)
    assert len(absent) == len(environ)
    assert all("environment variable" in line and "is not set" in line for line in absent)


@pytest.mark.parametrize(("target", "fits"), [
    ("S0123ABCDEF", True), ("@oncall", True), ("@sre.eu-1", True),
    ("oncall", False), ("@", False), ("@On Call", False), ("s0123", False)])
def test_a_slack_user_group_target_is_its_id_or_its_handle(target, fits):
    # The connector resolves "@handle" through usergroups.list (docs/connectors.md); a bare name is neither.
    problems = target_problems(connector_class("slack_usergroups").target_model, target, {})
    assert (problems == []) is fits, problems
