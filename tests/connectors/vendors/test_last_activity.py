"""``last_activity`` against the vendor fakes: documented fields, paging, 429s, and "unknown" for a
vendor's never-signed-in marker (never "never used").

Okta Users API ``lastLogin``: developer.okta.com/docs/api/openapi/okta-management/management/tag/User/
Google Directory API ``lastLoginTime``: developers.google.com/admin-sdk/directory/reference/rest/v1/users
Microsoft Graph ``signInActivity``: learn.microsoft.com/graph/api/user-list (AuditLog.Read.All, $top <= 120)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import respx

from connectors.base import ActivityMeaning
from connectors.entra import EntraConnector
from connectors.errors import AuthError, RateLimited
from connectors.github import GitHubConnector
from connectors.google import GoogleConnector
from connectors.okta import OktaConnector
from connectors.slack_usergroups import SlackUsergroupConnector
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.entra import CLIENT_ID, CLIENT_SECRET, TENANT, EntraFake
from tests.support.vendors.google import ACCESS_TOKEN, GoogleFake
from tests.support.vendors.okta import ORG_URL, TOKEN, OktaFake


def _all_pages(connector):
    pages, cursor = [], None
    while True:
        page = connector.last_activity(cursor)
        pages.append(page)
        cursor = page.cursor
        if cursor is None:
            return pages


@pytest.fixture
def okta_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = OktaFake(router)
        for n in range(5):
            fake.add_user(f"00u{n}", f"u{n}@acme.test", last_login="2026-09-02T08:15:00.000Z" if n % 2 else None)
        yield fake


def test_okta_pages_by_link_and_reads_last_login_as_a_login(okta_fake):
    sleeps: list[float] = []
    with connector_factory(OktaConnector, "okta", {"org_url": ORG_URL, "api_token": TOKEN, "page_size": 2},
                           sleep=sleeps.append) as build:
        pages = _all_pages(build())
    assert [len(p.activity) for p in pages] == [2, 2, 1]
    seen = {a.account.display: a.last_at for p in pages for a in p.activity}
    assert seen["u1@acme.test"] == datetime(2026, 9, 2, 8, 15, tzinfo=UTC)
    assert seen["u0@acme.test"] is None  # null lastLogin: unknown, not "never used"
    assert {p.meaning for p in pages} == {ActivityMeaning.LOGIN}
    assert all(path.startswith("/api/v1/users?") for _, path in okta_fake.requests())


def test_okta_long_429_surfaces_with_its_wait_and_the_cursor_still_resumes(okta_fake):
    with connector_factory(OktaConnector, "okta", {"org_url": ORG_URL, "api_token": TOKEN, "page_size": 2},
                           sleep=lambda _: None) as build:
        okta = build()
        first = okta.last_activity()
        okta_fake.throttle_next(120)
        with pytest.raises(RateLimited) as caught:
            okta.last_activity(first.cursor)
        assert caught.value.retry_after and 100 < caught.value.retry_after <= 121
        assert okta.last_activity(first.cursor).activity[0].account.id == "00u2"


def test_okta_refuses_a_cursor_pointing_elsewhere(okta_fake):
    with connector_factory(OktaConnector, "okta", {"org_url": ORG_URL, "api_token": TOKEN}) as build:
        with pytest.raises(Exception, match="another host"):
            build().last_activity("https://evil.test/api/v1/users?after=1")


def test_google_pages_by_token_and_reads_the_1970_epoch_as_unknown():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = GoogleFake(router)
        for n in range(501):
            fake.add_user(f"u{n}@acme.test", last_login="2026-09-02T08:15:00.000Z" if n else "1970-01-01T00:00:00.000Z")
        with connector_factory(GoogleConnector, "gws", {"admin_email": "admin@acme.test"},
                               token_provider=lambda: ACCESS_TOKEN, sleep=lambda _: None) as build:
            pages = _all_pages(build())
    assert [len(p.activity) for p in pages] == [500, 1]  # maxResults is capped at 500
    seen = {a.account.id: a.last_at for p in pages for a in p.activity}
    assert seen["u0@acme.test"] is None and seen["u7@acme.test"].year == 2026
    assert pages[0].source == "Google Directory API users.lastLoginTime"


@pytest.mark.parametrize("cls", [GitHubConnector, SlackUsergroupConnector])
def test_vendors_that_cannot_tell_do_not_offer_it(cls):
    assert cls.capabilities.last_activity is False


@pytest.fixture
def entra_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = EntraFake(router)
        for n in range(130):
            fake.add_user(f"u-{n}", f"u{n}@contoso.com", last_sign_in="2026-09-02T08:15:00Z" if n else None)
        yield fake


def _entra(sleeps):
    options = {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return connector_factory(EntraConnector, "entra", options, sleep=sleeps.append)


def test_entra_selects_sign_in_activity_in_pages_of_120_and_honours_retry_after(entra_fake):
    sleeps: list[float] = []
    with _entra(sleeps) as build:
        entra = build()
        entra_fake.throttle_next(2)  # a short Retry-After is waited for inline
        pages = _all_pages(entra)
        entra_fake.throttle_next(600)  # a long one surfaces with its wait
        with pytest.raises(RateLimited) as caught:
            entra.last_activity()
    assert [len(p.activity) for p in pages] == [120, 10]
    assert sleeps == [2.0] and caught.value.retry_after == 600
    seen = {a.account.display: a.last_at for p in pages for a in p.activity}
    assert seen["u0@contoso.com"] is None and seen["u5@contoso.com"] == datetime(2026, 9, 2, 8, 15, tzinfo=UTC)


def test_entra_without_audit_log_read_all_fails_the_collection(entra_fake):
    entra_fake.audit_log_read = False
    with _entra([]) as build:
        with pytest.raises(AuthError):
            build().last_activity()


def test_webhook_last_used_is_a_signed_operation_of_our_protocol_with_pages():
    """Our own protocol (connectors/webhook.py, docs/connectors.md#webhook), on a real local HTTP peer."""
    from connectors.webhook import WebhookConnector
    from tests.support.http_peer import HttpPeer, Reply

    secret = "shared-webhook-secret"
    with HttpPeer(secret=secret) as peer:
        peer.script("POST", "/usage",
                    Reply(200, json={"accounts": [{"email": "A@acme.test", "last_used_at": "2026-09-02T08:00:00Z"},
                                                  {"email": "b@acme.test", "last_used_at": None}, {"email": 7}],
                                     "next_cursor": "p2", "meaning": "entitlement_use"}),
                    Reply(429, headers={"Retry-After": "120"}),
                    Reply(200, json={"accounts": [], "next_cursor": None}))
        options = {"url": f"{peer.url}/accessbot", "secret": secret, "last_used_url": f"{peer.url}/usage",
                   "retry_backoff": 0.001}
        hook = WebhookConnector("payroll", options)
        assert hook.capabilities.last_activity is True
        assert WebhookConnector.capabilities_for("x", {"url": "https://x.test"}).last_activity is False
        first = hook.last_activity()
        with pytest.raises(RateLimited):
            hook.last_activity(first.cursor)
        last = hook.last_activity(first.cursor)
        hook.close()
    assert [(a.account.id, a.last_at) for a in first.activity] == [
        ("a@acme.test", datetime(2026, 9, 2, 8, tzinfo=UTC)), ("b@acme.test", None)]
    assert (first.cursor, first.meaning, last.cursor) == ("p2", ActivityMeaning.ENTITLEMENT_USE, None)
    bodies = [r.json() for r in peer.requests_to("POST", "/usage")]
    assert [b["cursor"] for b in bodies] == [None, "p2", "p2"] and {b["action"] for b in bodies} == {"last_used"}
    assert all(r.signature_ok for r in peer.requests_to("POST", "/usage"))


def test_scim_reads_the_configured_extension_attribute_by_start_index():
    """SCIM (RFC 7644 §3.4.2.4 paging by startIndex/count) has no last-use attribute: a configured one."""
    from connectors.scim import ScimConnector
    from tests.support.http_peer import HttpPeer, Reply

    urn = "urn:example:params:scim:schemas:extension:acme:2.0:User"

    def listing(users, total, start):
        return Reply(200, json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                "totalResults": total, "startIndex": start, "itemsPerPage": len(users),
                                "Resources": users})
    with HttpPeer() as peer:
        peer.script("GET", "/scim/v2/Users",
                    listing([{"id": "1", "userName": "a@acme.test", urn: {"lastLogin": "2026-09-02T08:00:00Z"}},
                             {"id": "2", "userName": "b@acme.test"}], 3, 1),
                    listing([{"id": "3", "userName": "c@acme.test", urn: {"lastLogin": "garbage"}}], 3, 3))
        scim = ScimConnector("app", {"base_url": f"{peer.url}/scim/v2", "token": "t" * 20, "page_size": 2,
                                     "last_activity_attribute": f"{urn}:lastLogin"})
        assert scim.capabilities.last_activity
        pages = _all_pages(scim)
        scim.close()
        plain = ScimConnector("app2", {"base_url": f"{peer.url}/scim/v2", "token": "t" * 20})
        assert not plain.capabilities.last_activity
    seen = [(a.account.display, a.last_at) for p in pages for a in p.activity]
    assert seen == [("a@acme.test", datetime(2026, 9, 2, 8, tzinfo=UTC)), ("b@acme.test", None), ("c@acme.test", None)]
    assert [r.query for r in peer.requests_to("GET", "/scim/v2/Users")][1].startswith("startIndex=3")
