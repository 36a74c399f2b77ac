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


def test_list_members_never_returns_a_partial_list(make, okta_fake, sleeps):
    for i in range(3):
        okta_fake.add_user(f"00u{i}", f"user{i}@acme.test")
        okta_fake.members["00geng"].append(f"00u{i}")
    okta = make(page_size=2)
    okta_fake.fail_requests_containing("after=2", 500)

    with pytest.raises(TransientError):
        okta.list_members(ENG)
    assert len(sleeps) == 3  # retried with backoff before giving up


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


def test_suspend_refuses_a_staged_user_clearly(okta, okta_fake):
    okta_fake.add_user("00ustaged", "new@acme.test", status="STAGED")
    with pytest.raises(InvalidRequest, match="STAGED"):
        okta.suspend(PrincipalRef("00ustaged"), action_id="s1")
    assert okta_fake.writes() == []


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
