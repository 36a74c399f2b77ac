"""Two entitlements on one target ref: revoking one leaves what the other still gives.

Google roles follow the Directory API members reference (developers.google.com/admin-sdk/directory/
reference/rest/v1/members: ``role`` MEMBER | MANAGER | OWNER; members.patch changes it), driven
through IT's push and revoke operations (the admin API's and /access-admin's), the runner and the
real GoogleConnector on the documented fake.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import respx

from bot.directory import service as directory
from bot.admin import grant as admin_grant
from connectors.google import GoogleConnector
from connectors.memory import MemoryConnector
from tests.lifecycle.helpers import drain, live
from tests.support.deps import close, deps_for
from tests.support.vendors.google import ACCESS_TOKEN, GoogleFake
from tests.support.world import CATALOG_HEADER, make_world

CATALOG = CATALOG_HEADER + """
resources:
  eng:
    name: Engineering group
    entitlements:
      member: {target: eng@acme.test, connector: gws}
      manager: {target: eng@acme.test, connector: gws, target_options: {role: MANAGER}}
  wiki:
    name: Wiki
    entitlements:
      reader: {target: wiki}
      editor: {target: wiki, target_options: {note: edits pages}}
"""


@pytest.fixture
def google_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = GoogleFake(router)
        fake.add_user("alice@acme.test", "Alice")
        fake.add_group("eng@acme.test")
        yield fake


@pytest.fixture
def world(store, clock, tmp_path, google_fake):
    gws = GoogleConnector("gws", {"admin_email": "ivan@acme.test"}, token_provider=lambda: ACCESS_TOKEN,
                          sleep=lambda _: None)
    yield make_world(store, clock, tmp_path, CATALOG, connectors={"gws": gws, "mem": MemoryConnector("mem")})
    gws.close()


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


def _push(world, ref: str) -> int:
    with world.store.uow() as s:
        return admin_grant.push_grant(s, world.ctx("ivan@acme.test"), admin=directory.require(s, "ivan@acme.test"),
                                      person=directory.require(s, "alice@acme.test"), entitlement=ref,
                                      duration=timedelta(hours=4), reason="on call this week").grant_id


def _revoke(world, grant_id: int) -> None:
    with world.store.uow() as s:
        admin_grant.revoke_grant(s, world.ctx("ivan@acme.test"), admin=directory.require(s, "ivan@acme.test"),
                                 grant_id=grant_id, reason="rotation ended")


def _role(google_fake) -> str | None:
    member = google_fake.members["eng@acme.test"].get("alice@acme.test")
    return member["role"] if member else None


def test_revoking_manager_demotes_to_the_member_role_another_grant_still_gives(world, deps, google_fake):
    member = _push(world, "eng:member")
    drain(deps)
    manager = _push(world, "eng:manager")
    drain(deps)
    assert _role(google_fake) == "MANAGER"  # raised with members.patch, not answered ALREADY

    _revoke(world, manager)
    drain(deps)

    assert _role(google_fake) == "MEMBER"
    assert live(deps, "alice@acme.test") == {"eng:member": "active"}
    assert ("DELETE", "/groups/eng@acme.test/members/alice@acme.test") not in google_fake.writes()

    _revoke(world, member)
    drain(deps)
    assert _role(google_fake) is None  # nothing retained any more: the membership goes
    assert live(deps, "alice@acme.test") == {}


def test_revoking_member_while_manager_is_live_keeps_the_manager_role(world, deps, google_fake):
    member = _push(world, "eng:member")
    _push(world, "eng:manager")
    drain(deps)

    _revoke(world, member)
    drain(deps)

    assert _role(google_fake) == "MANAGER"
    assert live(deps, "alice@acme.test") == {"eng:manager": "active"}


def test_a_connector_whose_access_ignores_options_keeps_the_access_another_grant_covers(world, deps):
    reader = _push(world, "wiki:reader")
    _push(world, "wiki:editor")
    drain(deps)

    _revoke(world, reader)
    drain(deps)

    assert world.holds("alice@acme.test", "wiki")
    assert set(live(deps, "alice@acme.test")) == {"wiki:editor"}
