from __future__ import annotations

import pytest
import respx

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    ConfigError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from connectors.okta import OktaConnector
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.okta import ORG_URL, TOKEN, OktaFake

ALICE = PrincipalRef("00ualice", "alice@acme.test")
ENG = Target("00geng", entitlement="okta:eng")


@pytest.fixture
def okta_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = OktaFake(router)
        fake.add_user("00ualice", "alice@acme.test")
        fake.add_user("00ubob", "bob@acme.test", status="SUSPENDED")
        fake.add_group("00geng", "Engineering")
        fake.add_group("00gad", "AD Admins", group_type="APP_GROUP")
        fake.add_group("00grule", "Everyone in Sales")
        fake.add_rule("0prsales", ["00grule"])
        fake.add_rule("0prold", ["00geng"], status="INACTIVE")
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(okta_fake, sleeps):
    """Connectors on the fake; retries record their waits instead of sleeping."""
    options = {"org_url": ORG_URL, "api_token": TOKEN}
    with connector_factory(OktaConnector, "okta", options, sleep=sleeps.append) as build:
        yield build


@pytest.fixture
def okta(make):
    return make()


def test_grant_twice_applies_then_reports_already(okta, okta_fake):
    first = okta.grant(ALICE, ENG, action_id="a1")
    second = okta.grant(ALICE, ENG, action_id="a2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert okta_fake.members["00geng"] == ["00ualice"]
    assert okta_fake.writes() == [("PUT", "/api/v1/groups/00geng/users/00ualice")]
    # Group type and rules are read once, then cached; membership is read before each change.
    assert okta_fake.requests() == [
        ("GET", "/api/v1/groups/00geng"),
        ("GET", "/api/v1/groups/rules?limit=200"),
        ("GET", "/api/v1/users/00ualice/groups?limit=200"),
        ("PUT", "/api/v1/groups/00geng/users/00ualice"),
        ("GET", "/api/v1/users/00ualice/groups?limit=200"),
    ]


def test_every_request_carries_the_ssws_token_and_json_headers(okta, okta_fake):
    okta.grant(ALICE, ENG, action_id="a1")
    for call in okta_fake.router.calls:
        assert call.request.headers["authorization"] == f"SSWS {TOKEN}"
        assert call.request.headers["accept"] == "application/json"


def test_revoke_twice_applies_then_reports_already(okta, okta_fake):
    okta_fake.members["00geng"].append("00ualice")

    first = okta.revoke(ALICE, ENG, action_id="r1")
    second = okta.revoke(ALICE, ENG, action_id="r2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert okta_fake.members["00geng"] == []
    assert okta_fake.writes() == [("DELETE", "/api/v1/groups/00geng/users/00ualice")]


def test_app_group_is_managed_elsewhere_and_nothing_is_written(okta, okta_fake):
    with pytest.raises(ManagedExternally, match="APP_GROUP"):
        okta.grant(ALICE, Target("00gad"), action_id="a1")
    with pytest.raises(ManagedExternally):
        okta.revoke(ALICE, Target("00gad"), action_id="a2")
    assert okta_fake.writes() == []
    # The type is cached: the second refusal did not read the group again.
    assert okta_fake.requests().count(("GET", "/api/v1/groups/00gad")) == 1


def test_group_filled_by_an_active_rule_is_managed_elsewhere(okta, okta_fake):
    with pytest.raises(ManagedExternally, match="group rule"):
        okta.grant(ALICE, Target("00grule"), action_id="a1")
    assert okta_fake.writes() == []


def test_rule_check_can_be_turned_off(make, okta_fake):
    okta = make(check_group_rules=False)
    assert okta.grant(ALICE, Target("00grule"), action_id="a1").outcome is Outcome.APPLIED
    assert ("GET", "/api/v1/groups/rules?limit=200") not in okta_fake.requests()


def test_wrong_token_fails_the_credentials_check_as_auth(make):
    okta = make(api_token="wrong")
    checks = {c.name: c for c in okta.check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"
    assert "E0000011" in checks["credentials"].detail
    assert "wrong" not in checks["credentials"].detail
    with pytest.raises(AuthError):
        okta.grant(ALICE, ENG, action_id="a1")


def test_check_passes_with_a_good_token(okta):
    checks = {c.name: c for c in okta.check()}
    assert all(c.ok for c in checks.values())
    assert "bot@acme.test" in checks["credentials"].detail


def test_short_rate_limit_is_waited_for_using_the_reset_header(okta, okta_fake, sleeps):
    okta_fake.throttle_next(0)
    assert okta.grant(ALICE, ENG, action_id="a1").outcome is Outcome.APPLIED
    assert len(sleeps) == 1 and sleeps[0] <= 5.0


def test_long_rate_limit_is_raised_with_the_wait_from_x_rate_limit_reset(okta, okta_fake, sleeps):
    okta_fake.throttle_next(120)
    with pytest.raises(RateLimited) as caught:
        okta.grant(ALICE, ENG, action_id="a1")
    assert 100 <= caught.value.retry_after <= 121
    assert sleeps == []  # no thread blocked on a two-minute wait
    assert okta_fake.writes() == []


def test_list_members_follows_link_next_across_pages(make, okta_fake):
    for i in range(5):
        okta_fake.add_user(f"00u{i}", f"user{i}@acme.test")
        okta_fake.members["00geng"].append(f"00u{i}")
    okta = make(page_size=2)

    members = list(okta.list_members(ENG))

    assert [m.id for m in members] == [f"00u{i}" for i in range(5)]
    assert members[0].display == "user0@acme.test"
    pages = [r for r in okta_fake.requests() if r[1].startswith("/api/v1/groups/00geng/users")]
    assert len(pages) == 3
    assert [[m.id for m in page] for page in okta.member_pages(ENG)] == [["00u0", "00u1"], ["00u2", "00u3"], ["00u4"]]


def test_list_members_never_returns_a_partial_list(make, okta_fake, sleeps):
    for i in range(3):
        okta_fake.add_user(f"00u{i}", f"user{i}@acme.test")
        okta_fake.members["00geng"].append(f"00u{i}")
    okta = make(page_size=2)
    okta_fake.fail_requests_containing("after=2", 500)

    with pytest.raises(TransientError):
        okta.list_members(ENG)
    assert len(sleeps) == 3  # retried with backoff before giving up
    pages = okta.member_pages(ENG)  # page by page, the failing page raises where it comes
    assert [m.id for m in next(pages)] == ["00u0", "00u1"]
    with pytest.raises(TransientError):
        next(pages)


def test_404_names_whether_the_user_or_the_group_is_missing(okta, okta_fake):
    with pytest.raises(TargetNotFound, match="00gnope"):
        okta.grant(ALICE, Target("00gnope"), action_id="a1")
    with pytest.raises(PrincipalNotFound, match="00ughost"):
        okta.grant(PrincipalRef("00ughost"), ENG, action_id="a2")


def test_resolve_by_email_search_and_by_handle(okta, okta_fake):
    assert okta.resolve(Subject(email="Alice@acme.test")).id == "00ualice"
    assert okta.resolve(Subject(email="x@y.z", handles={"okta_id": "00ubob"})).id == "00ubob"
    with pytest.raises(PrincipalNotFound):
        okta.resolve(Subject(email="nobody@acme.test"))
    okta_fake.add_user("00ualias", "alice.other@acme.test", email="shared@acme.test")
    okta_fake.add_user("00ualias2", "alice.again@acme.test", email="shared@acme.test")
    with pytest.raises(AmbiguousPrincipal):
        okta.resolve(Subject(email="shared@acme.test"))


def test_dry_run_reads_but_sends_no_write(okta, okta_fake):
    result = okta.grant(ALICE, ENG, action_id="a1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == ("PUT /api/v1/groups/00geng/users/00ualice",)
    assert okta_fake.writes() == []


def test_suspend_reads_status_first_and_is_idempotent(okta, okta_fake):
    first = okta.suspend(ALICE, action_id="s1")
    second = okta.suspend(ALICE, action_id="s2")
    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert okta_fake.users["00ualice"]["status"] == "SUSPENDED"
    assert okta_fake.writes() == [("POST", "/api/v1/users/00ualice/lifecycle/suspend")]


def test_reactivate_unsuspends_only_a_suspended_user(okta, okta_fake):
    bob = PrincipalRef("00ubob")
    assert okta.reactivate(bob, action_id="u1").outcome is Outcome.APPLIED
    assert okta.reactivate(bob, action_id="u2").outcome is Outcome.ALREADY
    assert okta_fake.writes() == [("POST", "/api/v1/users/00ubob/lifecycle/unsuspend")]
    assert okta_fake.users["00ubob"]["status"] == "ACTIVE"


@pytest.mark.parametrize("status", ["DEPROVISIONED", "STAGED", "PROVISIONED"])
def test_reactivate_never_brings_back_a_user_that_was_not_suspended(okta, okta_fake, status):
    # Deactivated (or never activated) in Okta is someone's decision there, not our suspend to undo.
    okta_fake.add_user("00uoff", "off@acme.test", status=status)
    with pytest.raises(InvalidRequest, match=status):
        okta.reactivate(PrincipalRef("00uoff"), action_id="u1")
    assert okta_fake.writes() == []
    assert okta_fake.users["00uoff"]["status"] == status


def test_reactivate_of_a_locked_out_user_is_already_active(okta, okta_fake):
    okta_fake.add_user("00ulocked", "locked@acme.test", status="LOCKED_OUT")
    assert okta.reactivate(PrincipalRef("00ulocked"), action_id="u1").outcome is Outcome.ALREADY
    assert okta_fake.writes() == []


def test_end_sessions_clears_sessions_and_oauth_tokens(okta, okta_fake):
    assert okta.end_sessions(ALICE, action_id="e1").outcome is Outcome.APPLIED
    assert okta_fake.writes() == [("DELETE", "/api/v1/users/00ualice/sessions?oauthTokens=true")]


def test_bad_options_raise_config_error_without_echoing_the_token():
    with pytest.raises(ConfigError) as caught:
        OktaConnector("okta", {"org_url": "not a url", "api_token": "s3cr3t-value", "colour": "blue"})
    message = str(caught.value)
    assert "org_url" in message and "colour" in message
    assert "s3cr3t-value" not in message
    with pytest.raises(ConfigError, match="api_token"):
        OktaConnector("okta", {"org_url": ORG_URL})


def test_rules_are_reread_after_the_cache_expires(make, okta_fake):
    now = [1000.0]
    okta = make({"monotonic": lambda: now[0]}, rules_cache_seconds=60)
    okta.grant(ALICE, ENG, action_id="a1")
    okta_fake.add_rule("0prnew", ["00geng"])
    assert okta.revoke(ALICE, ENG, action_id="r1").outcome is Outcome.APPLIED  # cache still fresh
    now[0] += 61
    with pytest.raises(ManagedExternally):
        okta.grant(ALICE, ENG, action_id="a2")


# -- lifecycle per status ------------------------------------------------------------------------
# Follows the User Lifecycle API reference (developer.okta.com/docs/api/openapi/okta-management/
# management/tag/UserLifecycle/): suspend only from ACTIVE, unlock from LOCKED_OUT to ACTIVE,
# deactivate from every status but DEPROVISIONED; the fake refuses every other transition.

def test_a_locked_out_leaver_is_unlocked_then_suspended(okta, okta_fake):
    okta_fake.add_user("00ulocked", "locked@acme.test", status="LOCKED_OUT")

    result = okta.suspend(PrincipalRef("00ulocked"), action_id="s1")

    assert result.outcome is Outcome.APPLIED
    assert "unlocked, then suspended" in result.detail
    assert okta_fake.users["00ulocked"]["status"] == "SUSPENDED"
    assert okta_fake.writes() == [("POST", "/api/v1/users/00ulocked/lifecycle/unlock"),
                                  ("POST", "/api/v1/users/00ulocked/lifecycle/suspend")]
    # Reversible like any suspend: a re-hire is unsuspended.
    assert okta.reactivate(PrincipalRef("00ulocked"), action_id="u1").outcome is Outcome.APPLIED


@pytest.mark.parametrize("status", ["PASSWORD_EXPIRED", "RECOVERY", "PROVISIONED", "STAGED"])
def test_a_leaver_okta_cannot_suspend_is_deactivated_and_the_result_says_so(okta, okta_fake, status):
    okta_fake.add_user("00uodd", "odd@acme.test", status=status)

    result = okta.suspend(PrincipalRef("00uodd"), action_id="s1")

    assert result.outcome is Outcome.APPLIED
    assert f"was {status}" in result.detail and "deactivated instead" in result.detail
    assert okta_fake.users["00uodd"]["status"] == "DEPROVISIONED"
    assert okta_fake.writes() == [("POST", "/api/v1/users/00uodd/lifecycle/deactivate")]
    assert okta.suspend(PrincipalRef("00uodd"), action_id="s2").outcome is Outcome.ALREADY


def test_deactivation_can_be_refused_in_favour_of_an_admin(make, okta_fake):
    okta = make(deactivate_when_unsuspendable=False)
    okta_fake.add_user("00uexp", "exp@acme.test", status="PASSWORD_EXPIRED")
    with pytest.raises(InvalidRequest, match="PASSWORD_EXPIRED") as caught:
        okta.suspend(PrincipalRef("00uexp"), action_id="s1")
    assert caught.value.retryable is False
    assert okta_fake.writes() == []


def test_dry_run_of_a_locked_out_leaver_names_both_calls(okta, okta_fake):
    okta_fake.add_user("00ulocked", "locked@acme.test", status="LOCKED_OUT")
    result = okta.suspend(PrincipalRef("00ulocked"), action_id="s1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == ("POST /api/v1/users/00ulocked/lifecycle/unlock",
                                    "POST /api/v1/users/00ulocked/lifecycle/suspend")
    assert okta_fake.writes() == []


# -- paging: listusergroups documents ``limit`` <= 200 (default 200) and a Link header cursor ------

def test_page_size_above_oktas_cap_is_refused_at_configuration():
    with pytest.raises(ConfigError, match="page_size"):
        OktaConnector("okta", {"org_url": ORG_URL, "api_token": TOKEN, "page_size": 500})


def test_membership_on_a_later_page_of_the_users_groups_is_found(okta, okta_fake):
    for i in range(250):
        okta_fake.add_group(f"00gbulk{i:03}", f"Bulk {i}")
        okta_fake.members[f"00gbulk{i:03}"].append("00ualice")
    okta_fake.add_group("00glast", "Last")
    okta_fake.members["00glast"].append("00ualice")  # listed after the 250 others: on the second page

    assert okta.is_granted(ALICE, Target("00glast")) is True
    pages = [path for _, path in okta_fake.requests() if path.startswith("/api/v1/users/00ualice/groups")]
    assert pages == ["/api/v1/users/00ualice/groups?limit=200", "/api/v1/users/00ualice/groups?limit=200&after=200"]


# -- OAuth 2.0 service app: developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/ -

@pytest.fixture(scope="module")
def rsa_keys():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def pem(key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return pem(private), private.public_key(), pem(other)


@pytest.fixture
def make_oauth(okta_fake, sleeps, rsa_keys):
    private_pem, public_key, _ = rsa_keys
    okta_fake.add_service_app("0oaaccessbot", public_key, key_id="kid-1")
    options = {"org_url": ORG_URL, "client_id": "0oaaccessbot", "private_key": private_pem, "key_id": "kid-1"}
    with connector_factory(OktaConnector, "okta", options, sleep=sleeps.append) as build:
        yield build


def test_service_app_gets_a_scoped_token_with_a_signed_assertion_and_reuses_it(make_oauth, okta_fake):
    okta = make_oauth()
    assert okta.grant(ALICE, ENG, action_id="a1").outcome is Outcome.APPLIED
    assert okta.suspend(ALICE, action_id="s1").outcome is Outcome.APPLIED

    assert len(okta_fake.token_requests) == 1  # one token for every call until it nears expiry
    form = okta_fake.token_requests[0]
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "okta.users.manage okta.groups.manage"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    api_calls = [c for c in okta_fake.router.calls if c.request.url.path.startswith("/api/v1/")]
    token = next(iter(okta_fake.access_tokens))
    assert all(c.request.headers["authorization"] == f"Bearer {token}" for c in api_calls)
    assert okta_fake.members["00geng"] == ["00ualice"]


def test_a_token_near_expiry_is_renewed_with_a_fresh_assertion(make_oauth, okta_fake):
    okta_fake.token_lifetime = 30  # shorter than the renewal margin: every use renews it
    okta = make_oauth()
    okta.grant(ALICE, ENG, action_id="a1")
    okta.revoke(ALICE, ENG, action_id="r1")
    api_calls = [c for c in okta_fake.router.calls if c.request.url.path.startswith("/api/v1/")]
    assert len(okta_fake.token_requests) == len(api_calls) > 1
    assert len(okta_fake.used_jtis) == len(api_calls)  # a fresh assertion each time: Okta refuses a reused jti


def test_an_assertion_signed_by_another_key_is_an_auth_failure(make_oauth, okta_fake, rsa_keys):
    okta = make_oauth(private_key=rsa_keys[2])
    checks = {c.name: c for c in okta.check()}
    assert checks["credentials"].ok is False and checks["credentials"].error_kind == "auth"
    assert "invalid_client" in checks["credentials"].detail
    assert rsa_keys[2] not in checks["credentials"].detail
    with pytest.raises(AuthError):
        okta.grant(ALICE, ENG, action_id="a1")
    assert okta_fake.writes() == [("POST", "/oauth2/v1/token")] * 2


def test_a_scope_not_granted_to_the_app_is_refused_as_invalid_scope(make_oauth):
    okta = make_oauth(scopes=["okta.users.manage", "okta.apps.manage"])
    with pytest.raises(AuthError, match="invalid_scope"):
        okta.grant(ALICE, ENG, action_id="a1")


def test_a_token_without_the_endpoints_scope_gets_403(make_oauth, okta_fake, rsa_keys):
    okta_fake.add_service_app("0oareadonly", rsa_keys[1], scopes=("okta.groups.manage", "okta.users.read"))
    okta = make_oauth(client_id="0oareadonly", key_id=None, scopes=["okta.groups.manage", "okta.users.read"])
    with pytest.raises(AuthError, match="E0000006"):
        okta.suspend(ALICE, action_id="s1")
    assert okta_fake.users["00ualice"]["status"] == "ACTIVE"


def test_check_of_a_service_app_reads_a_group_not_users_me(make_oauth, okta_fake):
    okta = make_oauth()
    checks = {c.name: c for c in okta.check()}
    assert all(c.ok for c in checks.values()), checks
    assert "0oaaccessbot" in checks["credentials"].detail
    assert ("GET", "/api/v1/groups?limit=1") in okta_fake.requests()


@pytest.mark.parametrize("options, problem", [
    ({"api_token": TOKEN, "client_id": "0oa1", "private_key": "pem"}, "not both"),
    ({"client_id": "0oa1"}, "both client_id and private_key"),
    ({}, "is required"),
])
def test_exactly_one_kind_of_credential_is_accepted(options, problem):
    with pytest.raises(ConfigError, match=problem) as caught:
        OktaConnector("okta", {"org_url": ORG_URL, **options})
    assert "pem" not in str(caught.value).replace("private_key", "")


def test_a_private_key_that_is_not_pem_is_a_config_error_without_its_value():
    with pytest.raises(ConfigError, match="private_key") as caught:
        OktaConnector("okta", {"org_url": ORG_URL, "client_id": "0oa1", "private_key": "s3cr3t-not-a-key"})
    assert "s3cr3t" not in str(caught.value)
