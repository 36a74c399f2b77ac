from __future__ import annotations

import pytest

from connectors.host import ConnectorHost
from connectors.scim import ScimConnector
from tests.support.scim_server import TOKEN, ScimServer


def scim_connector_for(server: ScimServer, name: str = "app", *, host: ConnectorHost | None = None,
                       **options) -> ScimConnector:
    """A SCIM connector on the test server; short backoff keeps retry tests fast."""
    settings = {"base_url": server.url, "token": TOKEN, "retry_backoff": 0.01, "timeout": 5.0, **options}
    return ScimConnector(name, settings, host=host)


@pytest.fixture(params=["rfc", "entra"])
def scim_server(request):
    """scim2-server with strict RFC parsing and with Entra tolerance (remove by value)."""
    server = ScimServer(policy=request.param).start()
    yield server
    server.stop()


@pytest.fixture
def rfc_scim_server():
    """For behaviours the policy does not change: one server, not two."""
    server = ScimServer(policy="rfc").start()
    yield server
    server.stop()


@pytest.fixture
def scim(rfc_scim_server):
    connector = scim_connector_for(rfc_scim_server)
    yield connector
    connector.close()
