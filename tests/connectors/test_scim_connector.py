"""The SCIM connector against a real scim2-server on loopback (strict RFC and Entra-tolerant)."""

from __future__ import annotations

import json
import socket

import pytest

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AmbiguousPrincipal,
    AuthError,
    InvalidRequest,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from bot.store.connector_host import StoredFacts
from connectors.host import ConnectorHost
from connectors.scim import ScimConnector
from tests.connectors.conftest import scim_connector_for
from tests.support.scim_server import TOKEN, Fault, ScimServer


def version(server: ScimServer, group_id: str) -> str:
    return server.group(group_id).meta.version


# -- resolving people ------------------------------------------------------------------------------
def test_resolve_finds_the_account_by_user_name_case_insensitively(rfc_scim_server, scim):
    user_id = rfc_scim_server.add_user("Alice@Example.com")
    principal = scim.resolve(Subject("alice@example.com"))
    assert principal == PrincipalRef(id=user_id, display="Alice@Example.com")


@pytest.mark.parametrize("lookup", ["email", "work_email"])
def test_resolve_by_email(rfc_scim_server, lookup):
    user_id = rfc_scim_server.add_user("asmith", email="alice@example.com")
    rfc_scim_server.add_user("bob", email="bob@example.com")
    connector = scim_connector_for(rfc_scim_server, user_lookup=lookup)
    assert connector.resolve(Subject("alice@example.com")).id == user_id


def test_a_person_without_an_account_is_principal_not_found(rfc_scim_server, scim):
    rfc_scim_server.add_user("bob@example.com")
    with pytest.raises(PrincipalNotFound, match="nobody@example.com"):
        scim.resolve(Subject("nobody@example.com"))


def test_two_matching_accounts_are_refused_not_guessed(rfc_scim_server):
    rfc_scim_server.add_user("alice1", email="alice@example.com")
    rfc_scim_server.add_user("alice2", email="alice@example.com")
    connector = scim_connector_for(rfc_scim_server, user_lookup="email")
    with pytest.raises(AmbiguousPrincipal, match="2 accounts"):
        connector.resolve(Subject("alice@example.com"))


def test_quotes_in_a_lookup_value_cannot_widen_the_filter(rfc_scim_server, scim):
    rfc_scim_server.add_user("alice@example.com")
    odd_id = rfc_scim_server.add_user('o"brien\\x@example.com')
    with pytest.raises(PrincipalNotFound):
        scim.resolve(Subject('x" or userName pr "'))
    assert scim.resolve(Subject('o"brien\\x@example.com')).id == odd_id


# -- group membership ------------------------------------------------------------------------------
def test_grant_twice_applies_then_reports_already_without_touching_the_group(scim_server):
    connector = scim_connector_for(scim_server)
    alice = PrincipalRef(scim_server.add_user("alice@example.com"))
    group = scim_server.add_group("engineering")
    assert connector.grant(alice, Target(group), action_id="a1").outcome is Outcome.APPLIED
    after_first = version(scim_server, group)
    assert connector.grant(alice, Target(group), action_id="a2").outcome is Outcome.ALREADY
    assert version(scim_server, group) == after_first
    assert scim_server.member_ids(group) == {alice.id}
    assert scim_server.writes() == 1


@pytest.mark.parametrize("remove_style", ["filter", "value"])
def test_revoke_removes_only_that_member_and_twice_is_already(scim_server, remove_style):
    connector = scim_connector_for(scim_server, remove_style=remove_style)
    alice, bob, carol = scim_server.add_users(3)
    group = scim_server.add_group("engineering", [alice, bob, carol])
    assert connector.revoke(PrincipalRef(bob), Target(group), action_id="r1").outcome is Outcome.APPLIED
    assert scim_server.member_ids(group) == {alice, carol}
    after_first = version(scim_server, group)
    assert connector.revoke(PrincipalRef(bob), Target(group), action_id="r2").outcome is Outcome.ALREADY
    assert version(scim_server, group) == after_first
    assert scim_server.member_ids(group) == {alice, carol}


def test_entra_remove_form_falls_back_to_the_rfc_form_on_a_strict_server(rfc_scim_server):
    connector = scim_connector_for(rfc_scim_server, remove_style="value")
    alice, bob = rfc_scim_server.add_users(2)
    group = rfc_scim_server.add_group("engineering", [alice, bob])
    assert connector.revoke(PrincipalRef(alice), Target(group), action_id="r1").outcome is Outcome.APPLIED
    assert rfc_scim_server.member_ids(group) == {bob}
    assert connector.remove_style == "filter"  # learned: the next remove goes straight to the RFC form
    patches = [s for s in rfc_scim_server.seen if s.method == "PATCH"]
    assert len(patches) == 2


def test_what_the_target_refused_is_learned_once_for_every_replica_and_restart(rfc_scim_server, store, clock):
    facts = StoredFacts(store, clock)  # the bot's: one database for every replica
    alice, bob, carol = rfc_scim_server.add_users(3)
    group = rfc_scim_server.add_group("engineering", [alice, bob, carol])
    first = scim_connector_for(rfc_scim_server, remove_style="value", host=ConnectorHost(facts=facts))
    first.revoke(PrincipalRef(alice), Target(group), action_id="r1")
    first.close()
    assert sum(1 for s in rfc_scim_server.seen if s.method == "PATCH") == 2  # refused, then the RFC form

    restarted = scim_connector_for(rfc_scim_server, remove_style="value", host=ConnectorHost(facts=facts))
    assert restarted.revoke(PrincipalRef(bob), Target(group), action_id="r2").outcome is Outcome.APPLIED
    assert sum(1 for s in rfc_scim_server.seen if s.method == "PATCH") == 3  # straight to the RFC form
    assert rfc_scim_server.member_ids(group) == {carol}
    config = restarted.check()[0]
    assert "remove by filter; learned: the target refuses remove_style value" in config.detail
    restarted.close()

    # A configuration that asks for the RFC form anyway is unaffected, and another instance learned nothing.
    assert scim_connector_for(rfc_scim_server, host=ConnectorHost(facts=facts)).remove_style == "filter"
    other = scim_connector_for(rfc_scim_server, "other-app", remove_style="value", host=ConnectorHost(facts=facts))
    assert other.remove_style == "value"
    other.close()


def test_entra_remove_form_is_kept_where_the_server_accepts_it():
    server = ScimServer(policy="entra").start()
    try:
        connector = scim_connector_for(server, remove_style="value")
        alice, bob = server.add_users(2)
        group = server.add_group("engineering", [alice, bob])
        connector.revoke(PrincipalRef(alice), Target(group), action_id="r1")
        assert server.member_ids(group) == {bob}
        assert connector.remove_style == "value"
        assert sum(1 for s in server.seen if s.method == "PATCH") == 1
    finally:
        server.stop()


def test_is_granted_follows_grant_and_revoke(scim_server):
    connector = scim_connector_for(scim_server)
    alice = PrincipalRef(scim_server.add_user("alice@example.com"))
    group = Target(scim_server.add_group("engineering"))
    assert connector.is_granted(alice, group) is False
    connector.grant(alice, group, action_id="a1")
    assert connector.is_granted(alice, group) is True
    connector.revoke(alice, group, action_id="a2")
    assert connector.is_granted(alice, group) is False


@pytest.mark.parametrize("call", ["grant", "revoke", "is_granted", "list_members"])
def test_a_missing_group_is_target_not_found(rfc_scim_server, scim, call):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    missing = Target("no-such-group")
    with pytest.raises(TargetNotFound, match="no-such-group"):
        if call == "list_members":
            list(scim.list_members(missing))
        elif call == "is_granted":
            scim.is_granted(alice, missing)
        else:
            getattr(scim, call)(alice, missing, action_id="x")
    assert [type(r).__name__ for r in rfc_scim_server.storage.resources] == ["User"]


def test_dry_run_sends_nothing_and_plans_the_patch(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = rfc_scim_server.add_group("engineering")
    grant = scim.grant(alice, Target(group), action_id="a1", dry_run=True)
    revoke = scim.revoke(alice, Target(group), action_id="a2", dry_run=True)
    assert grant.outcome is revoke.outcome is Outcome.PLANNED
    assert grant.planned_calls == (f"PATCH /Groups/{group} add member {alice.id}",)
    assert "remove member" in revoke.planned_calls[0]
    assert rfc_scim_server.seen == []


def test_http_calls_per_grant_and_revoke(rfc_scim_server, scim):
    """Pinned so a change that adds round trips is noticed: applied 3 (grant: membership, the user exists,
    PATCH) or 2 (revoke), already 1 (grant) or 2 (revoke)."""
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = Target(rfc_scim_server.add_group("engineering"))
    counts = []
    for call in (scim.grant, scim.grant, scim.revoke, scim.revoke):
        before = len(rfc_scim_server.seen)
        call(alice, group, action_id="x")
        counts.append(len(rfc_scim_server.seen) - before)
    assert counts == [3, 1, 2, 2]


def test_unknown_member_on_add_is_principal_not_found_when_the_server_refuses_it(rfc_scim_server, scim):
    group = rfc_scim_server.add_group("engineering")
    rfc_scim_server.inject(Fault(404, method="PATCH", body=b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],'
                                                             b'"status":"404","detail":"User ghost not found"}'))
    with pytest.raises(PrincipalNotFound, match="ghost"):
        scim.grant(PrincipalRef("ghost"), Target(group), action_id="a1")


# -- accounts --------------------------------------------------------------------------------------
def test_suspend_and_reactivate_are_idempotent(scim_server):
    connector = scim_connector_for(scim_server)
    alice = PrincipalRef(scim_server.add_user("alice@example.com"))
    assert connector.suspend(alice, action_id="s1").outcome is Outcome.APPLIED
    assert scim_server.user(alice.id).active is False
    assert connector.suspend(alice, action_id="s2").outcome is Outcome.ALREADY
    assert connector.reactivate(alice, action_id="s3").outcome is Outcome.APPLIED
    assert connector.reactivate(alice, action_id="s4").outcome is Outcome.ALREADY
    assert scim_server.user(alice.id).active is True


def test_account_target_activates_and_deactivates(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com", active=False))
    account = Target("account")
    assert scim.is_granted(alice, account) is False
    assert scim.grant(alice, account, action_id="g1").outcome is Outcome.APPLIED
    assert scim.grant(alice, account, action_id="g2").outcome is Outcome.ALREADY
    assert scim.is_granted(alice, account) is True
    assert [p.id for p in scim.list_members(account)] == [alice.id]
    assert scim.revoke(alice, account, action_id="g3").outcome is Outcome.APPLIED
    assert rfc_scim_server.user(alice.id).active is False


def test_suspending_an_unknown_account_is_principal_not_found(rfc_scim_server, scim):
    with pytest.raises(PrincipalNotFound):
        scim.suspend(PrincipalRef("no-such-user"), action_id="s1")
    assert rfc_scim_server.writes() == 0


# -- large groups ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_group():
    """2,000 members seeded straight into storage; the server caps pages at 250."""
    server = ScimServer(max_results=250).start()
    members = server.add_users(2000)
    group = server.add_group("everyone", members)
    yield server, group, set(members)
    server.stop()


def test_list_members_reads_every_member_of_a_2000_member_group(big_group):
    server, group, members = big_group
    connector = scim_connector_for(server)
    before = len(server.seen)
    assert {p.id for p in connector.list_members(Target(group))} == members
    assert len(server.seen) - before == 1


def test_list_members_pages_through_users_when_configured(big_group):
    server, group, members = big_group
    connector = scim_connector_for(server, member_listing="user_filter", page_size=1000)
    before = len(server.seen)
    assert {p.id for p in connector.list_members(Target(group))} == members
    pages = [s for s in server.seen[before:] if s.path == "/Users"]
    assert len(pages) == 8  # the server caps count at 250: 2,000 / 250


@pytest.mark.parametrize("pagination", ["cursor", "index"])
def test_a_member_removed_mid_listing_makes_index_pages_skip_someone_but_not_cursor_pages(pagination):
    server = ScimServer(cursor=True).start()
    members = server.add_users(6)
    group = server.add_group("engineering", members)
    removed: list[str] = []

    def remove_the_first_listed_after_page_one(seen, body):
        if seen.path == "/Users" and not removed:  # someone leaves the group between page 1 and page 2
            removed.append(json.loads(body)["Resources"][0]["id"])
            group_resource = server.group(group)
            group_resource.members = [m for m in group_resource.members if m.value != removed[0]]
            server.storage.update(server._types["Group"], group_resource)

    server.injector.after = remove_the_first_listed_after_page_one
    connector = scim_connector_for(server, member_listing="user_filter", page_size=2,
                                   pagination="auto" if pagination == "cursor" else "index")
    try:
        listed = {p.id for p in connector.list_members(Target(group))}
    finally:
        connector.close()
        server.stop()
    remaining = set(members) - set(removed)
    if pagination == "cursor":  # chosen from /ServiceProviderConfig: the server announces RFC 9865 cursors
        assert remaining <= listed
        assert any("cursor=" in s.query for s in server.seen if s.path == "/Users")
    else:  # the index shifted under the listing: a member who never left is missing
        assert not remaining <= listed


def test_a_failed_page_fails_the_whole_listing(big_group):
    server, group, _ = big_group
    connector = scim_connector_for(server, member_listing="user_filter", page_size=250)
    before = len(server.seen)
    # The 4th page fails on every attempt the retry layer makes.
    server.inject(Fault(503, method="GET", path="/Users", skip=3), *[Fault(503, method="GET", path="/Users")] * 3)
    with pytest.raises(TransientError):
        list(connector.list_members(Target(group)))
    assert len([s for s in server.seen[before:] if s.injected]) == 4  # every retry attempt, then give up


# -- throttling, failures and credentials ----------------------------------------------------------
def test_throttled_and_failing_requests_are_retried_until_the_grant_lands(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = rfc_scim_server.add_group("engineering")
    rfc_scim_server.inject(Fault(429, {"Retry-After": "0"}), Fault(503),
                           Fault(502, {"Content-Type": "text/html"}, b"<html><h1>Bad gateway</h1></html>", method="PATCH"))
    assert scim.grant(alice, Target(group), action_id="a1").outcome is Outcome.APPLIED
    assert rfc_scim_server.member_ids(group) == {alice.id}
    assert sum(1 for s in rfc_scim_server.seen if s.injected) == 3


def test_a_long_retry_after_is_handed_to_the_scheduler(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = rfc_scim_server.add_group("engineering")
    rfc_scim_server.inject(Fault(429, {"Retry-After": "120"}, method="PATCH"))
    with pytest.raises(RateLimited) as caught:
        scim.grant(alice, Target(group), action_id="a1")
    assert caught.value.retry_after == 120
    assert rfc_scim_server.member_ids(group) == set()


def test_a_wrong_token_is_an_auth_error(rfc_scim_server):
    rfc_scim_server.add_user("alice@example.com")
    connector = scim_connector_for(rfc_scim_server, token="wrong-token")
    with pytest.raises(AuthError, match="refused the token") as caught:
        connector.resolve(Subject("alice@example.com"))
    assert caught.value.http_status == 401
    assert "wrong-token" not in str(caught.value)


def test_check_passes_with_a_good_token_and_reports_auth_with_a_wrong_one(rfc_scim_server, scim):
    assert all(c.ok for c in scim.check())
    checks = {c.name: c for c in scim_connector_for(rfc_scim_server, token="wrong-token").check()}
    assert checks["reachability"].ok
    assert not checks["credentials"].ok
    assert checks["credentials"].error_kind == "auth"


def test_check_reports_an_unreachable_target():
    # A port that is bound but not listening refuses connections, and stays ours for the whole test
    # (a stopped server's port could be reused at once by a parallel test's server).
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        connector = ScimConnector("app", {"base_url": f"http://127.0.0.1:{reserved.getsockname()[1]}/v2",
                                          "token": TOKEN, "retry_backoff": 0.01, "timeout": 5.0})
        checks = {c.name: c for c in connector.check()}
    assert not checks["reachability"].ok
    assert checks["reachability"].error_kind == "transient"


def test_membership_filter_refused_falls_back_to_reading_members(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = rfc_scim_server.add_group("engineering", [alice.id])
    rfc_scim_server.inject(Fault(400, body=b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],'
                                          b'"status":"400","scimType":"invalidFilter"}', method="GET", path="/Groups"))
    assert scim.grant(alice, Target(group), action_id="a1").outcome is Outcome.ALREADY
    assert scim.revoke(alice, Target(group), action_id="a2").outcome is Outcome.APPLIED
    member_reads = [s for s in rfc_scim_server.seen if s.path == f"/Groups/{group}" and "members" in s.query]
    assert len(member_reads) == 2
    assert rfc_scim_server.member_ids(group) == set()
    # Remembered through the host: a restarted instance does not try the filter again.
    restarted = scim_connector_for(rfc_scim_server, host=scim.host)
    filtered = sum(1 for s in rfc_scim_server.seen if s.path == "/Groups")
    assert restarted.is_granted(alice, Target(group)) is False
    assert sum(1 for s in rfc_scim_server.seen if s.path == "/Groups") == filtered
    assert "refuses the membership filter" in restarted.check()[0].detail
    restarted.close()


def test_principal_without_id_is_refused_before_any_call(rfc_scim_server, scim):
    with pytest.raises(InvalidRequest):
        scim.grant(PrincipalRef(""), Target("g"), action_id="a1")
    assert rfc_scim_server.seen == []


# -- an unmodified scim2-server --------------------------------------------------------------------
@pytest.fixture
def stock_scim_server():
    """scim2-server's own storage: no User.groups, dangling member values accepted (RFC 7644 does not
    oblige a server to refuse them)."""
    server = ScimServer(keep_user_groups=False).start()
    yield server
    server.stop()


def test_user_filter_listing_on_a_server_without_user_groups_reads_the_group_and_says_so(stock_scim_server):
    members = [stock_scim_server.add_user(f"u{i}@example.com") for i in range(3)]
    group = stock_scim_server.add_group("engineering", members)
    host = ConnectorHost()
    connector = scim_connector_for(stock_scim_server, member_listing="user_filter", host=host)
    assert {p.id for p in connector.list_members(Target(group))} == set(members)
    assert "does not keep User.groups" in connector.check()[0].detail
    # Learned for every replica: the next instance goes straight to the group.
    again = scim_connector_for(stock_scim_server, member_listing="user_filter", host=host)
    before = len(stock_scim_server.seen)
    assert {p.id for p in again.list_members(Target(group))} == set(members)
    assert [s.path for s in stock_scim_server.seen[before:]] == [f"/Groups/{group}"]


def test_user_filter_listing_of_an_empty_group_is_empty(stock_scim_server):
    group = stock_scim_server.add_group("nobody")
    connector = scim_connector_for(stock_scim_server, member_listing="user_filter")
    assert list(connector.list_members(Target(group))) == []
    assert connector.member_listing == "user_filter"


def test_granting_a_user_id_the_target_does_not_have_is_principal_not_found_and_writes_nothing(stock_scim_server):
    # scim2-server answers 204 to PATCH add of members [{"value": "ghost"}] and stores the dangling value.
    group = stock_scim_server.add_group("engineering")
    connector = scim_connector_for(stock_scim_server)
    with pytest.raises(PrincipalNotFound, match="ghost"):
        connector.grant(PrincipalRef("ghost"), Target(group), action_id="a1")
    assert stock_scim_server.writes() == 0
    assert stock_scim_server.member_ids(group) == set()


# -- targets written as group names ----------------------------------------------------------------
def test_a_target_written_as_the_group_name_is_looked_up_once_and_remembered(rfc_scim_server, store, clock):
    facts = StoredFacts(store, clock)  # the connector_facts table every replica reads
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    group = rfc_scim_server.add_group("Engineering Team")
    first = scim_connector_for(rfc_scim_server, host=ConnectorHost(facts=facts))
    assert first.grant(alice, Target("name:Engineering Team"), action_id="g1").outcome is Outcome.APPLIED
    assert rfc_scim_server.member_ids(group) == {alice.id}
    lookups = [s for s in rfc_scim_server.seen if s.path == "/Groups" and "displayName" in s.query]
    assert len(lookups) == 1
    # Another replica (its own connector, the same database) uses the remembered id.
    other = scim_connector_for(rfc_scim_server, host=ConnectorHost(facts=facts))
    assert other.is_granted(alice, Target("name:Engineering Team"))
    assert {p.id for p in other.list_members(Target("name:Engineering Team"))} == {alice.id}
    assert other.revoke(alice, Target("name:Engineering Team"), action_id="r1").outcome is Outcome.APPLIED
    assert len([s for s in rfc_scim_server.seen if s.path == "/Groups" and "displayName" in s.query]) == 1


def test_a_group_recreated_under_the_same_name_is_looked_up_again(rfc_scim_server):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    old = rfc_scim_server.add_group("ops")
    host = ConnectorHost()
    connector = scim_connector_for(rfc_scim_server, host=host)
    connector.grant(alice, Target("name:ops"), action_id="g1")
    rfc_scim_server.storage.delete(rfc_scim_server._types["Group"], old)
    new = rfc_scim_server.add_group("ops")
    assert connector.grant(alice, Target("name:ops"), action_id="g2").outcome is Outcome.APPLIED
    assert rfc_scim_server.member_ids(new) == {alice.id}


def test_an_unknown_group_name_is_target_not_found(rfc_scim_server, scim):
    alice = PrincipalRef(rfc_scim_server.add_user("alice@example.com"))
    with pytest.raises(TargetNotFound, match="no group named 'Nope'"):
        scim.grant(alice, Target("name:Nope"), action_id="g1")
    assert rfc_scim_server.writes() == 0
