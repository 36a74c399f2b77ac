"""The connector contract suite, run over every connector in this package."""

from __future__ import annotations

import pytest

from connectors.base import Subject, Target
from connectors.memory import MemoryConnector
from connectors.webhook import WebhookConnector
from tests.connectors.conftest import scim_connector_for
from tests.connectors.contract import ConnectorContract, ContractHarness
from tests.support.http_peer import HttpPeer, WebhookReceiver
from tests.support.scim_server import ScimServer

PEOPLE = [Subject(f"{name}@example.com", name.title()) for name in ("alice", "bob", "carol")]
GHOST = Subject("ghost@example.com", "Ghost")


def memory_harness():
    connector = MemoryConnector("memory")
    connector.known_accounts = {s.email for s in PEOPLE}
    yield ContractHarness(connector, PEOPLE, Target("engineering"), GHOST, writes=lambda: len(connector.calls))


def scim_harness(policy: str, **options):
    server = ScimServer(policy=policy).start()
    for subject in PEOPLE:
        server.add_user(subject.email)
    group = server.add_group("engineering")
    connector = scim_connector_for(server, **options)
    yield ContractHarness(connector, PEOPLE, Target(group), GHOST, writes=server.writes)
    connector.close()
    server.stop()


def webhook_harness():
    receiver = WebhookReceiver(known_people={s.email for s in PEOPLE})
    with HttpPeer(secret="contract-secret", responder=receiver) as peer:
        connector = WebhookConnector("inhouse", {"url": f"{peer.url}/hook", "check_url": f"{peer.url}/check",
                                                 "secret": "contract-secret", "retry_backoff": 0.001})

        def writes() -> int:
            return sum(1 for r in peer.requests if r.path == "/hook" and r.json()["action"] in ("grant", "revoke"))

        yield ContractHarness(connector, PEOPLE, Target("payroll-admins"), GHOST, writes=writes)
        connector.close()


HARNESSES = {
    "memory": memory_harness,
    "scim-rfc": lambda: scim_harness("rfc"),
    "scim-entra-value-remove": lambda: scim_harness("entra", remove_style="value"),
    "scim-user-filter-listing": lambda: scim_harness("rfc", member_listing="user_filter", page_size=2),
    "webhook": webhook_harness,
}


class TestConnectorContract(ConnectorContract):
    @pytest.fixture(params=sorted(HARNESSES))
    def harness(self, request):
        yield from HARNESSES[request.param]()
