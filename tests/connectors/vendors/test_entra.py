from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import respx

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.entra import EntraConnector, client_request_id
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    ConfigError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
)
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.entra import CLIENT_ID, CLIENT_SECRET, GRAPH, LOGIN, TENANT, EntraFake

ALICE = PrincipalRef("u-alice", "alice@contoso.com")
ENG = Target("g-eng", entitlement="entra:eng")
ACTION = "6f1c2d3e-0000-4000-8000-000000000001"


@pytest.fixture
def entra_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = EntraFake(router)
        fake.add_user("u-alice", "alice@contoso.com")
        fake.add_user("u-bob", "bob_partner.com#EXT#@contoso.onmicrosoft.com", mail="bob@partner.com")
        fake.add_group("g-eng", "Engineering")
        fake.add_group("g-dyn", "All FTEs", group_types=("DynamicMembership",))
        fake.add_group("g-onprem", "Domain Admins", on_premises=True)
        fake.add_group("g-dl", "all@contoso.com", mail_enabled=True)
        fake.add_group("g-m365", "Team site", group_types=("Unified",), mail_enabled=True)
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(entra_fake, sleeps):
    options = {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    with connector_factory(EntraConnector, "entra", options, sleep=sleeps.append) as build:
        yield build


@pytest.fixture
def entra(make):
    return make()


def test_grant_twice_applies_then_maps_the_duplicate_message_to_already(entra, entra_fake):
    first = entra.grant(ALICE, ENG, action_id=ACTION)
    second = entra.grant(ALICE, ENG, action_id="7f1c2d3e-0000-4000-8000-000000000002")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert entra_fake.members["g-eng"] == ["u-alice"]
    posts = [r for r in entra_fake.graph_calls() if r.method == "POST"]
    assert [r.url.path for r in posts] == ["/v1.0/groups/g-eng/members/$ref"] * 2
    assert json.loads(posts[0].content) == {"@odata.id": f"{GRAPH}/directoryObjects/u-alice"}
    assert posts[0].headers["client-request-id"] == ACTION
    assert first.target_ref == ACTION


def test_revoke_twice_applies_then_maps_404_to_already(entra, entra_fake):
    entra_fake.members["g-eng"].append("u-alice")

    first = entra.revoke(ALICE, ENG, action_id=ACTION)
    second = entra.revoke(ALICE, ENG, action_id=ACTION)

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert entra_fake.writes() == [("DELETE", "/groups/g-eng/members/u-alice/$ref")] * 2


def test_other_400s_are_not_mistaken_for_duplicates(entra, entra_fake):
    entra_fake.fail_next(400, "Request_BadRequest", "Invalid object identifier 'nope'.")
    with pytest.raises(InvalidRequest, match="Invalid object identifier"):
        entra.grant(ALICE, ENG, action_id=ACTION)
    assert entra_fake.members["g-eng"] == []


@pytest.mark.parametrize(("group", "reason"), [
    ("g-dyn", "dynamic membership"),
    ("g-onprem", "on-premises"),
    ("g-dl", "Exchange Online"),
])
def test_groups_managed_elsewhere_are_refused_before_any_write(entra, entra_fake, group, reason):
    with pytest.raises(ManagedExternally, match=reason):
        entra.grant(ALICE, Target(group), action_id=ACTION)
    with pytest.raises(ManagedExternally):
        entra.revoke(ALICE, Target(group), action_id=ACTION)
    assert entra_fake.writes() == []
    group_reads = [r for r in entra_fake.graph_calls() if r.url.path == f"/v1.0/groups/{group}"]
    assert len(group_reads) == 1  # the preflight is cached


def test_microsoft_365_groups_are_changeable(entra, entra_fake):
    assert entra.grant(ALICE, Target("g-m365"), action_id=ACTION).outcome is Outcome.APPLIED


def test_wrong_client_secret_fails_the_check_as_auth_without_echoing_it(make):
    entra = make(client_secret="not-the-secret")
    checks = {c.name: c for c in entra.check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"
    assert "AADSTS7000215" in checks["credentials"].detail
    assert "not-the-secret" not in checks["credentials"].detail
    with pytest.raises(AuthError):
        entra.grant(ALICE, ENG, action_id=ACTION)


def test_token_is_fetched_once_for_the_configured_tenant_and_scope(entra, entra_fake):
    assert all(c.ok for c in entra.check())
    entra.grant(ALICE, ENG, action_id=ACTION)
    assert len(entra_fake.token_requests) == 1
    form = entra_fake.token_requests[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://graph.microsoft.com/.default"]


def test_the_login_host_is_configurable_for_national_clouds(sleeps):
    # US Government: login.microsoftonline.us and graph.microsoft.us (learn.microsoft.com/graph/deployments).
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = EntraFake(router, login="https://login.microsoftonline.us")
        router.route(host="graph.microsoft.us").respond(200, json={"value": [{"id": "g-1"}]})
        entra = EntraConnector("entra", {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                         "login_url": "https://login.microsoftonline.us/",
                                         "graph_url": "https://graph.microsoft.us/v1.0/"}, sleep=sleeps.append)
        assert all(c.ok for c in entra.check())
        entra.close()
        [token] = fake.token_calls()
        assert token.url.host == "login.microsoftonline.us"
        assert parse_qs(token.content.decode())["scope"] == ["https://graph.microsoft.us/.default"]


def test_short_429_waits_for_retry_after(entra, entra_fake, sleeps):
    entra_fake.throttle_next(2)
    assert entra.grant(ALICE, ENG, action_id=ACTION).outcome is Outcome.APPLIED
    assert sleeps == [2.0]


def test_long_429_is_raised_as_rate_limited_with_retry_after(entra, entra_fake, sleeps):
    entra_fake.throttle_next(240)
    with pytest.raises(RateLimited) as caught:
        entra.grant(ALICE, ENG, action_id=ACTION)
    assert caught.value.retry_after == 240.0
    assert sleeps == []


def test_list_members_follows_odata_next_link(make, entra_fake):
    for i in range(5):
        entra_fake.add_user(f"u{i}", f"user{i}@contoso.com")
        entra_fake.members["g-eng"].append(f"u{i}")
    entra = make(page_size=2)

    members = list(entra.list_members(ENG))

    assert [m.id for m in members] == [f"u{i}" for i in range(5)]
    assert members[0].display == "user0@contoso.com"
    pages = [r for r in entra_fake.graph_calls() if r.url.path == "/v1.0/groups/g-eng/members"]
    assert [r.url.params.get("$skiptoken") for r in pages] == [None, "2", "4"]
    assert [[m.id for m in page] for page in entra.member_pages(ENG)] == [["u0", "u1"], ["u2", "u3"], ["u4"]]


def test_is_granted_uses_an_advanced_query_with_consistency_level(entra, entra_fake):
    assert entra.is_granted(ALICE, ENG) is False
    entra.grant(ALICE, ENG, action_id=ACTION)
    assert entra.is_granted(ALICE, ENG) is True


def test_resolve_by_upn_then_by_mail(entra, entra_fake):
    assert entra.resolve(Subject(email="alice@contoso.com")).id == "u-alice"
    assert entra.resolve(Subject(email="bob@partner.com")).id == "u-bob"
    with pytest.raises(PrincipalNotFound):
        entra.resolve(Subject(email="nobody@contoso.com"))
    entra_fake.add_user("u-dup", "dup1@contoso.com", mail="shared@contoso.com")
    entra_fake.add_user("u-dup2", "dup2@contoso.com", mail="shared@contoso.com")
    with pytest.raises(AmbiguousPrincipal):
        entra.resolve(Subject(email="shared@contoso.com"))


def test_disable_account_and_revoke_sessions(entra, entra_fake):
    first = entra.suspend(ALICE, action_id=ACTION)
    second = entra.suspend(ALICE, action_id=ACTION)
    ended = entra.end_sessions(ALICE, action_id=ACTION)

    assert (first.outcome, second.outcome, ended.outcome) == (Outcome.APPLIED, Outcome.ALREADY, Outcome.APPLIED)
    assert entra_fake.users["u-alice"]["accountEnabled"] is False
    assert entra_fake.writes() == [("PATCH", "/users/u-alice"), ("POST", "/users/u-alice/revokeSignInSessions")]
    assert entra.reactivate(ALICE, action_id=ACTION).outcome is Outcome.APPLIED
    assert entra_fake.users["u-alice"]["accountEnabled"] is True


def test_client_request_id_is_a_stable_guid_for_non_uuid_action_ids():
    assert client_request_id("action-17") == client_request_id("action-17")
    assert len(client_request_id("action-17")) == 36
    assert client_request_id(ACTION) == ACTION


def test_dry_run_preflights_but_writes_nothing(entra, entra_fake):
    result = entra.grant(ALICE, ENG, action_id=ACTION, dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == ("POST /groups/g-eng/members/$ref u-alice",)
    assert entra_fake.writes() == []
    with pytest.raises(ManagedExternally):
        entra.grant(ALICE, Target("g-dyn"), action_id=ACTION, dry_run=True)


def test_login_url_and_graph_url_defaults():
    entra = EntraConnector("entra", {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": "x"})
    assert entra.api.base_url == f"{GRAPH}/"
    assert str(entra.config.login_url) == f"{LOGIN}/"


# -- certificate credentials: learn.microsoft.com/entra/identity-platform/certificate-credentials and
# v2-oauth2-client-creds-grant-flow ("second case: access token request with a certificate") --------

@pytest.fixture(scope="module")
def certificate():
    """A self-signed certificate as an admin uploads to the app registration, its key and thumbprint."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def make():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accessbot")])
        now = datetime.now(timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        return cert, pem, cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 (the portal's thumbprint)
    return make(), make()


@pytest.fixture
def make_with_certificate(entra_fake, sleeps, certificate):
    (cert, pem, thumbprint), _ = certificate
    entra_fake.add_certificate(cert)
    options = {"tenant_id": TENANT, "client_id": CLIENT_ID, "certificate_key": pem,
               "certificate_thumbprint": thumbprint}
    with connector_factory(EntraConnector, "entra", options, sleep=sleeps.append) as build:
        yield build


def test_a_certificate_credential_sends_a_signed_client_assertion_not_a_secret(make_with_certificate, entra_fake):
    entra = make_with_certificate()
    assert entra.grant(ALICE, ENG, action_id=ACTION).outcome is Outcome.APPLIED
    assert entra.revoke(ALICE, ENG, action_id=ACTION).outcome is Outcome.APPLIED

    [form] = entra_fake.token_requests  # MSAL's cache served the second call
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    assert "client_secret" not in form
    [claims] = entra_fake.verified_assertions  # the fake checked its signature, x5t, aud, iss, sub, exp
    assert claims["aud"] == f"{LOGIN}/{TENANT}/oauth2/v2.0/token"


def test_a_certificate_not_registered_on_the_app_is_an_auth_failure(entra_fake, sleeps, certificate):
    _, (other_cert, other_pem, other_thumbprint) = certificate  # never uploaded
    entra = EntraConnector("entra", {"tenant_id": TENANT, "client_id": CLIENT_ID, "certificate_key": other_pem,
                                     "certificate_thumbprint": other_thumbprint}, sleep=sleeps.append)
    checks = {c.name: c for c in entra.check()}
    entra.close()
    assert checks["credentials"].ok is False and checks["credentials"].error_kind == "auth"
    assert "AADSTS700027" in checks["credentials"].detail
    assert "PRIVATE KEY" not in checks["credentials"].detail


def test_an_expiring_token_is_renewed_by_msal(make_with_certificate, entra_fake):
    entra_fake.token_lifetime = 60  # MSAL renews tokens this close to expiry
    entra = make_with_certificate()
    entra.grant(ALICE, ENG, action_id=ACTION)
    entra.revoke(ALICE, ENG, action_id=ACTION)
    assert len(entra_fake.token_requests) == len(entra_fake.verified_assertions) >= 2


@pytest.mark.parametrize("options, problem", [
    ({"client_secret": "s", "certificate_key": "k", "certificate_thumbprint": "A" * 40}, "either client_secret"),
    ({"certificate_thumbprint": "A" * 40}, "both certificate_key and certificate_thumbprint"),
    ({}, "is required"),
    ({"certificate_key": "k", "certificate_thumbprint": "not-hex"}, "certificate_thumbprint"),
])
def test_exactly_one_credential_is_accepted(options, problem):
    with pytest.raises(ConfigError, match=problem):
        EntraConnector("entra", {"tenant_id": TENANT, "client_id": CLIENT_ID, **options})


def test_a_certificate_key_that_is_not_pem_is_a_config_error_without_its_value():
    with pytest.raises(ConfigError, match="certificate_key") as caught:
        EntraConnector("entra", {"tenant_id": TENANT, "client_id": CLIENT_ID, "certificate_key": "s3cr3t-junk",
                                 "certificate_thumbprint": "A" * 40})
    assert "s3cr3t" not in str(caught.value)
