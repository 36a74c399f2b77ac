"""scim2-tester, the python-scim compliance suite, against our /scim/v2 over a real socket.

Every tag the checker has for a resource type is run for User: discovery (service-provider-config,
schemas, resource-types), crud:create, crud:read, crud:read:attributes, crud:update, crud:delete,
patch:add, patch:remove, patch:replace and misc. None is excluded. The checker creates users
with random values, flips ``active`` and deletes them, so this also drives the joiner / mover /
leaver paths (and background offboardings) a few dozen times.
"""

from __future__ import annotations

import socket
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

from tests.http.conftest import SCIM_TOKEN
from tests.support.live_server import serve_asgi

TAGS = {"discovery", "service-provider-config", "schemas", "resource-types", "crud:create", "crud:read",
        "crud:read:attributes", "crud:update", "crud:delete", "patch:add", "patch:remove", "patch:replace", "misc"}


def test_the_scim2_tester_finds_no_failure_for_users(app):
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    with serve_asgi(app, lifespan="off") as url:
        http = httpx2.Client(base_url=f"{url}/scim/v2", headers={"Authorization": f"Bearer {SCIM_TOKEN}"},
                             transport=httpx2.HTTPTransport(socket_options=nodelay))
        results = check_server(SyncSCIMClient(http), include_tags=TAGS, resource_types=["User"])
    problems = [f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status != Status.SUCCESS]
    assert problems == []
    counts = Counter(tag for r in results for tag in r.tags if r.status == Status.SUCCESS)
    assert all(counts[tag] > 0 for tag in TAGS - {"service-provider-config"}), counts
    assert len(results) >= 70
