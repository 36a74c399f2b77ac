"""The shared connector contract (tests/connectors/contract.py), run over every vendor connector
against the same fakes as its own tests."""

from __future__ import annotations

import pytest
import respx

from connectors.aws_idc import AwsIdentityCenterConnector
from connectors.base import Subject, Target
from connectors.entra import EntraConnector
from connectors.github import GitHubConnector
from connectors.google import GoogleConnector
from connectors.okta import OktaConnector
from connectors.slack_usergroups import SlackUsergroupConnector
from tests.connectors.contract import ConnectorContract, ContractHarness
from tests.support.vendors import entra, github, google, okta, slack_usergroups
from tests.support.vendors.aws import REGION, MotoServer, add_identity_store_user, seed_identity_center

NAMES = ("alice", "bob", "carol")
PEOPLE = [Subject(f"{name}@acme.test", name.title(), handles={"github": name}) for name in NAMES]
GHOST = Subject("ghost@acme.test", "Ghost")


def no_sleep(seconds: float) -> None:
    """Retries in these tests are answered at once."""


def okta_harness(_):
    with respx.mock(assert_all_called=False) as router:
        fake = okta.OktaFake(router)
        for name in NAMES:
            fake.add_user(f"00u{name}", f"{name}@acme.test")
        fake.add_group("00geng", "Engineering")
        connector = OktaConnector("okta", {"org_url": okta.ORG_URL, "api_token": okta.TOKEN}, sleep=no_sleep)
        yield ContractHarness(connector, PEOPLE, Target("00geng"), GHOST, writes=lambda: len(fake.writes()))
        connector.close()


def google_harness(_):
    with respx.mock(assert_all_called=False) as router:
        fake = google.GoogleFake(router)
        for name in NAMES:
            fake.add_user(f"{name}@acme.test")
        fake.add_group("eng@acme.test")
        connector = GoogleConnector("gws", {"admin_email": "admin@acme.test"},
                                    token_provider=lambda: google.ACCESS_TOKEN, sleep=no_sleep)
        yield ContractHarness(connector, PEOPLE, Target("eng@acme.test"), GHOST, writes=lambda: len(fake.writes()))
        connector.close()


def entra_harness(_):
    with respx.mock(assert_all_called=False) as router:
        fake = entra.EntraFake(router)
        for name in NAMES:
            fake.add_user(f"u-{name}", f"{name}@acme.test")
        fake.add_group("g-eng", "Engineering")
        connector = EntraConnector("entra", {"tenant_id": entra.TENANT, "client_id": entra.CLIENT_ID,
                                             "client_secret": entra.CLIENT_SECRET}, sleep=no_sleep)
        yield ContractHarness(connector, PEOPLE, Target("g-eng"), GHOST, writes=lambda: len(fake.writes()))
        connector.close()


def github_harness(_):
    with respx.mock(assert_all_called=False) as router:
        fake = github.GitHubFake(router)
        for name in NAMES:
            fake.add_user(name, in_org=True)
        fake.add_team("platform")
        connector = GitHubConnector("github", {"token": github.TOKEN, "org": github.ORG,
                                               "min_write_interval_seconds": 0}, sleep=no_sleep)
        yield ContractHarness(connector, PEOPLE, Target("team:platform"), GHOST, writes=lambda: len(fake.writes()))
        connector.close()


def slack_harness(_):
    fake = slack_usergroups.SlackUsergroupsFake()
    for name in (*NAMES, "keeper"):
        fake.add_user(f"U{name.upper()}", f"{name}@acme.test")
    fake.add_group("SENG", "eng", ["UKEEPER"])  # a Slack group is never empty while enabled
    connector = SlackUsergroupConnector("slack", {"token": slack_usergroups.TOKEN, "api_url": fake.url},
                                        sleep=no_sleep)
    changing = ("usergroups.users.update", "usergroups.enable", "usergroups.disable")
    yield ContractHarness(connector, PEOPLE, Target("SENG"), GHOST,
                          writes=lambda: sum(1 for method in fake.methods() if method in changing))
    connector.close()
    fake.stop()


def aws_harness(server: MotoServer):
    seed = seed_identity_center(server)
    for name in NAMES:
        add_identity_store_user(server, seed, f"{name}@acme.test")
    connector = AwsIdentityCenterConnector("aws", {"endpoint_url": server.url, "region": REGION,
                                                   "access_key_id": "testing", "secret_access_key": "testing"})
    writes: list[str] = []
    for operation in ("CreateAccountAssignment", "DeleteAccountAssignment"):
        connector.sso.meta.events.register(f"before-call.sso-admin.{operation}",
                                           lambda model, **_: writes.append(model.name))
    yield ContractHarness(connector, PEOPLE, Target(f"{seed.account}/{seed.permission_set_arn}"), GHOST, writes=lambda: len(writes))
    connector.close()


HARNESSES = {"okta": okta_harness, "google": google_harness, "entra": entra_harness, "github": github_harness,
             "slack_usergroups": slack_harness, "aws_idc": aws_harness}


@pytest.fixture(scope="module")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


class TestVendorConnectorContract(ConnectorContract):
    @pytest.fixture(params=sorted(HARNESSES))
    def harness(self, request, moto_server):
        yield from HARNESSES[request.param](moto_server)
