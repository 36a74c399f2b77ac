from __future__ import annotations

import json

import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AuthError,
    ConfigError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
)
from connectors.google import GoogleConnector
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.google import ACCESS_TOKEN, TOKEN_URI, GoogleFake, jwt_claims

ALICE = PrincipalRef("alice@acme.test", "Alice")
ENG = Target("eng@acme.test", entitlement="google:eng")
ADMIN = "admin@acme.test"


@pytest.fixture(scope="module")
def service_account_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": "acme", "private_key_id": "k1",
                       "private_key": pem, "client_email": "accessbot@acme.iam.gserviceaccount.com",
                       "client_id": "1234", "token_uri": TOKEN_URI})


@pytest.fixture
def google_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = GoogleFake(router)
        fake.add_user("alice@acme.test", "Alice", aliases=("ally@acme.test",))
        fake.add_user("bob@acme.test", "Bob")
        fake.add_group("eng@acme.test")
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(google_fake, sleeps):
    with connector_factory(GoogleConnector, "gws", {"admin_email": ADMIN}, token_provider=lambda: ACCESS_TOKEN,
                           sleep=sleeps.append) as build:
        yield build


@pytest.fixture
def google(make):
    return make()


def test_grant_twice_applies_then_maps_409_duplicate_to_already(google, google_fake):
    first = google.grant(ALICE, ENG, action_id="a1")
    second = google.grant(ALICE, ENG, action_id="a2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert list(google_fake.members["eng@acme.test"]) == ["alice@acme.test"]
    assert google_fake.requests() == [("POST", "/groups/eng@acme.test/members"),
                                      ("POST", "/groups/eng@acme.test/members"),  # 409 duplicate
                                      ("GET", "/groups/eng@acme.test/members/alice@acme.test")]  # its role
    body = json.loads(google_fake.router.calls[0].request.content)
    assert body == {"email": "alice@acme.test", "role": "MEMBER"}


def test_role_comes_from_target_options(google, google_fake):
    google.grant(ALICE, Target("eng@acme.test", options={"role": "manager"}), action_id="a1")
    assert google_fake.members["eng@acme.test"]["alice@acme.test"]["role"] == "MANAGER"


def test_revoke_twice_applies_then_maps_404_member_key_to_already(google, google_fake):
    google.grant(ALICE, ENG, action_id="a1")

    first = google.revoke(ALICE, ENG, action_id="r1")
    second = google.revoke(ALICE, ENG, action_id="r2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert google_fake.members["eng@acme.test"] == {}
    assert google_fake.writes()[-2:] == [("DELETE", "/groups/eng@acme.test/members/alice@acme.test")] * 2


def test_404_group_key_is_target_not_found_not_already(google):
    with pytest.raises(TargetNotFound, match="nope@acme.test"):
        google.revoke(ALICE, Target("nope@acme.test"), action_id="r1")
    with pytest.raises(TargetNotFound):
        google.grant(ALICE, Target("nope@acme.test"), action_id="a1")
    with pytest.raises(TargetNotFound):
        google.is_granted(ALICE, Target("nope@acme.test"))


def test_groups_filled_elsewhere_are_refused_before_any_write(make, google_fake):
    google_fake.add_group("all-staff@acme.test")
    google = make(externally_managed_groups=["ad-*@acme.test", "ALL-STAFF@acme.test"])
    for group in ("all-staff@acme.test", "ad-engineering@acme.test"):
        with pytest.raises(ManagedExternally, match="another system"):
            google.grant(ALICE, Target(group), action_id="a1")
        with pytest.raises(ManagedExternally):
            google.revoke(ALICE, Target(group), action_id="r1")
    assert google_fake.requests() == []
    assert google.grant(ALICE, ENG, action_id="a2").outcome is Outcome.APPLIED


def test_unknown_domain_user_on_insert_is_principal_not_found(google):
    with pytest.raises(PrincipalNotFound):
        google.grant(PrincipalRef("ghost@acme.test"), ENG, action_id="a1")


def test_user_rate_limit_403_is_retried_by_reason(google, google_fake, sleeps):
    google_fake.throttle_next("userRateLimitExceeded")
    assert google.grant(ALICE, ENG, action_id="a1").outcome is Outcome.APPLIED
    assert len(sleeps) == 1


def test_persistent_quota_403_surfaces_as_rate_limited_not_auth(google, google_fake, sleeps):
    google_fake.throttle_next(*["quotaExceeded"] * 4)
    with pytest.raises(RateLimited):
        google.grant(ALICE, ENG, action_id="a1")
    assert len(sleeps) == 3
    assert google_fake.members["eng@acme.test"] == {}


def test_wrong_token_fails_the_credentials_check_as_auth(make):
    google = make({"token_provider": lambda: "expired"})
    checks = {c.name: c for c in google.check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"
    with pytest.raises(AuthError):
        google.grant(ALICE, ENG, action_id="a1")


def test_service_account_token_impersonates_the_admin(make, google_fake, service_account_key):
    google = make({"token_provider": None}, service_account_key=service_account_key)

    checks = google.check()
    google.grant(ALICE, ENG, action_id="a1")

    assert all(c.ok for c in checks)
    assert len(google_fake.token_requests) == 1  # cached until it expires
    form = google_fake.token_requests[0]
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt_claims(form["assertion"][0])
    assert claims["sub"] == ADMIN
    assert claims["iss"] == "accessbot@acme.iam.gserviceaccount.com"
    assert "admin.directory.group.member" in claims["scope"]


def test_refused_delegation_is_an_auth_check_failure(make, google_fake, service_account_key):
    google_fake.token_error = (401, {"error": "unauthorized_client",
                                     "error_description": "Client is unauthorized to retrieve access tokens"})
    google = make({"token_provider": None}, service_account_key=service_account_key)
    checks = {c.name: c for c in google.check()}
    assert checks["credentials"].error_kind == "auth"
    assert "unauthorized_client" in checks["credentials"].detail
    assert "PRIVATE KEY" not in checks["credentials"].detail


def test_unusable_key_is_a_config_error_without_echoing_it():
    with pytest.raises(ConfigError) as caught:
        GoogleConnector("gws", {"admin_email": ADMIN, "service_account_key": '{"private_key": "sekrit"}'})
    assert "sekrit" not in str(caught.value)
    with pytest.raises(ConfigError, match="service_account_key is required"):
        GoogleConnector("gws", {"admin_email": ADMIN})


def test_list_members_follows_page_tokens(make, google, google_fake):
    for i in range(5):
        google_fake.add_user(f"u{i}@acme.test")
        google.grant(PrincipalRef(f"u{i}@acme.test"), ENG, action_id=f"a{i}")
    google = make(page_size=2)

    members = list(google.list_members(ENG))

    assert [m.id for m in members] == [f"u{i}@acme.test" for i in range(5)]
    pages = [c.request.url.params.get("pageToken") for c in google_fake.router.calls
             if c.request.method == "GET" and c.request.url.path.endswith("/members")]
    assert pages == [None, "2", "4"]
    assert [len(page) for page in google.member_pages(ENG)] == [2, 2, 1]


def test_is_granted_reads_the_direct_membership(google, google_fake):
    assert google.is_granted(ALICE, ENG) is False
    google.grant(ALICE, ENG, action_id="a1")
    assert google.is_granted(ALICE, ENG) is True
    assert ("GET", "/groups/eng@acme.test/members/alice@acme.test") in google_fake.requests()


def test_resolve_maps_an_alias_to_the_primary_address(google):
    assert google.resolve(Subject(email="ally@acme.test")) == PrincipalRef("alice@acme.test", "Alice")
    with pytest.raises(PrincipalNotFound):
        google.resolve(Subject(email="carol@partner.test"))


def test_external_members_are_allowed_when_configured(make):
    google = make(allow_external_members=True)
    carol = google.resolve(Subject(email="Carol@partner.test"))
    assert carol.id == "carol@partner.test"
    assert google.grant(carol, ENG, action_id="a1").outcome is Outcome.APPLIED


def test_suspend_and_sign_out(google, google_fake):
    first = google.suspend(ALICE, action_id="s1")
    second = google.suspend(ALICE, action_id="s2")
    signed_out = google.end_sessions(ALICE, action_id="e1")

    assert (first.outcome, second.outcome, signed_out.outcome) == (Outcome.APPLIED, Outcome.ALREADY, Outcome.APPLIED)
    assert google_fake.users["alice@acme.test"]["suspended"] is True
    assert google_fake.writes() == [("PUT", "/users/alice@acme.test"), ("POST", "/users/alice@acme.test/signOut")]
    assert google.reactivate(ALICE, action_id="u1").outcome is Outcome.APPLIED
    assert google_fake.users["alice@acme.test"]["suspended"] is False


def test_dry_run_reads_but_sends_nothing(google, google_fake):
    result = google.grant(ALICE, ENG, action_id="a1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == ("POST groups/eng@acme.test/members email=alice@acme.test role=MEMBER",)
    assert google_fake.writes() == []


# -- roles: members.insert / members.patch (developers.google.com/admin-sdk/directory/reference/rest/v1/
# members/insert, members/patch) and the members resource's ``role`` (MEMBER, MANAGER, OWNER) -------

MANAGER = Target("eng@acme.test", options={"role": "MANAGER"}, entitlement="google:eng-manager")


def test_a_role_grant_on_an_existing_member_raises_the_role_with_members_patch(google, google_fake):
    google.grant(ALICE, ENG, action_id="a1")

    result = google.grant(ALICE, MANAGER, action_id="a2")

    assert result.outcome is Outcome.APPLIED
    assert google_fake.members["eng@acme.test"]["alice@acme.test"]["role"] == "MANAGER"
    assert google_fake.writes()[-2:] == [("POST", "/groups/eng@acme.test/members"),  # 409: exists
                                         ("PATCH", "/groups/eng@acme.test/members/alice@acme.test")]
    assert json.loads(google_fake.router.calls[-1].request.content) == {"role": "MANAGER"}
    assert google.grant(ALICE, MANAGER, action_id="a3").outcome is Outcome.ALREADY
    assert google.is_granted(ALICE, MANAGER) is True


def test_a_lower_role_grant_never_demotes_an_owner(google, google_fake):
    google.grant(ALICE, Target("eng@acme.test", options={"role": "OWNER"}), action_id="a1")
    result = google.grant(ALICE, MANAGER, action_id="a2")
    assert result.outcome is Outcome.ALREADY and "OWNER" in result.detail
    assert google_fake.members["eng@acme.test"]["alice@acme.test"]["role"] == "OWNER"


def test_is_granted_for_a_role_needs_at_least_that_role(google, google_fake):
    google.grant(ALICE, ENG, action_id="a1")
    assert google.is_granted(ALICE, ENG) is True
    assert google.is_granted(ALICE, MANAGER) is False


def test_revoking_a_role_still_held_as_member_by_another_grant_demotes(google, google_fake):
    google.grant(ALICE, MANAGER, action_id="a1")
    revoke = Target(MANAGER.ref, options=MANAGER.options, retained=({"role": "MEMBER"},))

    planned = google.revoke(ALICE, revoke, action_id="r0", dry_run=True)
    result = google.revoke(ALICE, revoke, action_id="r1")
    again = google.revoke(ALICE, revoke, action_id="r2")

    assert planned.planned_calls == ("PATCH groups/eng@acme.test/members/alice@acme.test role=MEMBER",)
    assert (result.outcome, again.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert "demoted from MANAGER to MEMBER" in result.detail
    assert google_fake.members["eng@acme.test"]["alice@acme.test"]["role"] == "MEMBER"
    assert ("DELETE", "/groups/eng@acme.test/members/alice@acme.test") not in google_fake.writes()


def test_revoking_with_nothing_retained_still_removes_the_membership(google, google_fake):
    google.grant(ALICE, MANAGER, action_id="a1")
    assert google.revoke(ALICE, MANAGER, action_id="r1").outcome is Outcome.APPLIED
    assert google_fake.members["eng@acme.test"] == {}


def test_members_of_a_role_entitlement_are_those_with_at_least_that_role(google, google_fake):
    google.grant(ALICE, ENG, action_id="a1")
    google.grant(PrincipalRef("bob@acme.test"), Target("eng@acme.test", options={"role": "OWNER"}), action_id="a2")
    assert [m.id for m in google.list_members(MANAGER)] == ["bob@acme.test"]
    assert [m.id for m in google.list_members(ENG)] == ["alice@acme.test", "bob@acme.test"]


def test_an_unknown_role_is_refused_before_any_write(google, google_fake):
    with pytest.raises(InvalidRequest, match="MEMBER, MANAGER or OWNER"):
        google.grant(ALICE, Target("eng@acme.test", options={"role": "boss"}), action_id="a1")
    assert google_fake.writes() == []
