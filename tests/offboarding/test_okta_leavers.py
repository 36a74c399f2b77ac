"""Offboarding an Okta user in a status Okta cannot suspend still ends their sign-in, and says how.

The Okta side is the real OktaConnector on the fake that follows the User Lifecycle API
(developer.okta.com/docs/api/openapi/okta-management/management/tag/UserLifecycle/: suspend only
from ACTIVE, unlock from LOCKED_OUT, deactivate from every status but DEPROVISIONED).
"""

from __future__ import annotations

import pytest
import respx

from bot.domain.enums import Trigger
from bot.ledger.context import Actor
from bot.offboarding import engine
from connectors.memory import MemoryConnector
from connectors.okta import OktaConnector
from tests.offboarding.conftest import holding
from tests.support.vendors.okta import ORG_URL, TOKEN, OktaFake
from tests.support.world import CATALOG_HEADER, make_world

IT = Actor("ivan@acme.test", Trigger.CLI)
CATALOG = CATALOG_HEADER + """
resources:
  okta:
    name: Okta
    connector: okta
    entitlements:
      apps: {target: 00gapps, approval: []}
"""


@pytest.fixture
def okta_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = OktaFake(router)
        fake.add_group("00gapps", "Apps")
        yield fake


@pytest.fixture
def world(store, clock, tmp_path, okta_fake):
    okta = OktaConnector("okta", {"org_url": ORG_URL, "api_token": TOKEN}, sleep=lambda _: None)
    yield make_world(store, clock, tmp_path, CATALOG, connectors={"okta": okta, "mem": MemoryConnector("mem")})
    okta.close()  # the offboarding conftest's deps fixture runs the engine on this world


@pytest.mark.parametrize("status, after, said", [
    ("LOCKED_OUT", "SUSPENDED", "unlocked, then suspended"),
    ("PASSWORD_EXPIRED", "DEPROVISIONED", "was PASSWORD_EXPIRED, which Okta cannot suspend: deactivated instead"),
    ("RECOVERY", "DEPROVISIONED", "was RECOVERY, which Okta cannot suspend: deactivated instead"),
])
def test_a_leaver_okta_cannot_suspend_is_signed_out_for_good_and_the_report_says_how(
        world, deps, okta_fake, status, after, said):
    okta_fake.add_user("00ualice", "alice@acme.test")
    holding(world, "alice@acme.test", "okta:apps")
    assert okta_fake.members["00gapps"] == ["00ualice"]
    okta_fake.users["00ualice"]["status"] = status  # locked out, or a password reset under way

    report = engine.run(deps, email="alice@acme.test", actor=IT, reason="left the company")

    assert report.status == "done" and not report.failed
    assert okta_fake.users["00ualice"]["status"] == after
    assert okta_fake.members["00gapps"] == []
    okta = next(system for system in report.systems if system.system == "okta")
    suspend = next(item for item in okta.items if item.what == "suspend account")
    assert said in suspend.reason
