from __future__ import annotations

import threading

import pytest

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AuthError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from connectors.host import ConnectorHost, InProcessLocks
from connectors.slack_usergroups import SlackUsergroupConnector
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.slack_usergroups import TOKEN, SlackUsergroupsFake

ALICE = PrincipalRef("UALICE", "alice@acme.test")
ONCALL = Target("SONCALL", entitlement="slack:oncall")


@pytest.fixture
def fake():
    server = SlackUsergroupsFake()
    for user_id in ("UALICE", "UBOB", "UCAROL", "UDAN"):
        server.add_user(user_id, f"{user_id[1:].lower()}@acme.test")
    server.add_user("UGUEST", "guest@partner.test", is_restricted=True)
    server.add_group("SONCALL", "oncall", ["UBOB", "UCAROL"])
    server.add_group("SADMINS", "admins", ["UBOB"], auto_type="admin")
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(fake, sleeps):
    with connector_factory(SlackUsergroupConnector, "slack", {"token": TOKEN, "api_url": fake.url},
                           sleep=sleeps.append) as build:
        yield build


@pytest.fixture
def slack(make):
    return make()


def updates(fake: SlackUsergroupsFake) -> list[str]:
    return [params["users"] for method, params in fake.calls if method == "usergroups.users.update"]


def test_grant_twice_applies_then_reports_already(slack, fake):
    first = slack.grant(ALICE, ONCALL, action_id="a1")
    second = slack.grant(ALICE, ONCALL, action_id="a2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert fake.members("SONCALL") == ["UBOB", "UCAROL", "UALICE"]
    assert updates(fake) == ["UBOB,UCAROL,UALICE"]  # the whole list, as Slack replaces it
    assert fake.methods() == ["usergroups.list",  # the group, cached from here on
                              "usergroups.users.list", "usergroups.users.update",
                              "usergroups.users.list",  # read back: this process's lock may not span replicas
                              "usergroups.users.list"]


def test_revoke_twice_applies_then_reports_already_and_keeps_the_others(slack, fake):
    first = slack.revoke(PrincipalRef("UBOB"), ONCALL, action_id="r1")
    second = slack.revoke(PrincipalRef("UBOB"), ONCALL, action_id="r2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert fake.members("SONCALL") == ["UCAROL"]
    assert updates(fake) == ["UCAROL"]


def test_removing_the_last_member_disables_the_group_instead_of_emptying_it(slack, fake):
    slack.revoke(PrincipalRef("UBOB"), ONCALL, action_id="r1")
    result = slack.revoke(PrincipalRef("UCAROL"), ONCALL, action_id="r2")

    assert result.outcome is Outcome.APPLIED and "disabled" in result.detail
    assert "" not in updates(fake)  # never asked Slack for an empty list
    assert fake.groups["SONCALL"]["date_delete"] > 0
    assert slack.is_granted(PrincipalRef("UCAROL"), ONCALL) is False  # a disabled group grants nothing
    assert list(slack.list_members(ONCALL)) == []
    assert slack.revoke(PrincipalRef("UCAROL"), ONCALL, action_id="r3").outcome is Outcome.ALREADY


def test_granting_into_a_group_we_disabled_re_enables_it_with_only_the_new_member(slack, fake):
    slack.revoke(PrincipalRef("UBOB"), ONCALL, action_id="r1")
    slack.revoke(PrincipalRef("UCAROL"), ONCALL, action_id="r2")

    result = slack.grant(ALICE, ONCALL, action_id="a1")

    assert result.outcome is Outcome.APPLIED
    assert fake.groups["SONCALL"]["date_delete"] == 0
    assert fake.members("SONCALL") == ["UALICE"]  # Carol's stale membership did not come back
    assert fake.methods().index("usergroups.enable") < len(fake.methods()) - 1


def test_a_group_disabled_by_someone_else_is_left_alone(make, fake):
    fake.groups["SONCALL"].update(date_delete=1700000000, deleted_by="UADMIN")
    with pytest.raises(ManagedExternally, match="disabled by UADMIN"):
        make().grant(ALICE, ONCALL, action_id="a1")
    assert "usergroups.enable" not in fake.methods()

    assert make(reenable_groups_disabled_by_others=True).grant(ALICE, ONCALL, action_id="a2").outcome \
        is Outcome.APPLIED
    assert fake.members("SONCALL") == ["UALICE"]


def test_slack_kept_groups_are_managed_elsewhere(slack, fake):
    with pytest.raises(ManagedExternally, match="admins"):
        slack.grant(ALICE, Target("SADMINS"), action_id="a1")
    assert updates(fake) == []
    assert [m.id for m in slack.list_members(Target("SADMINS"))] == ["UBOB"]  # reading is fine


def test_wrong_token_fails_the_check_as_auth(make):
    checks = {c.name: c for c in make(token="xoxb-wrong").check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"
    assert "invalid_auth" in checks["credentials"].detail
    with pytest.raises(AuthError):
        make(token="xoxb-wrong").grant(ALICE, ONCALL, action_id="a1")


def test_check_reports_a_missing_read_email_scope(make, fake):
    fake.scopes = "usergroups:read,usergroups:write,users:read"
    checks = {c.name: c for c in make().check()}
    assert checks["credentials"].ok is False and "users:read.email" in checks["credentials"].detail


def test_check_fails_when_slack_lists_no_scopes(make, fake):
    # auth.test (api.slack.com/methods/auth.test) answers the scopes in x-oauth-scopes; without it
    # nothing is verified, so nothing is claimed.
    fake.scopes = None
    checks = {c.name: c for c in make().check()}
    assert checks["credentials"].ok is False and "x-oauth-scopes" in checks["credentials"].detail


def test_check_reports_a_missing_write_scope(make, fake):
    assert all(c.ok for c in make().check())
    fake.scopes = "usergroups:read,users:read"
    checks = {c.name: c for c in make().check()}
    assert checks["credentials"].error_kind == "auth"
    assert "usergroups:write" in checks["credentials"].detail


def test_short_429_is_waited_for(slack, fake, sleeps):
    fake.throttle.append(1)
    assert slack.grant(ALICE, ONCALL, action_id="a1").outcome is Outcome.APPLIED
    assert sleeps == [1.0]


def test_long_429_is_raised_as_rate_limited(slack, fake, sleeps):
    fake.throttle.append(90)
    with pytest.raises(RateLimited) as caught:
        slack.grant(ALICE, ONCALL, action_id="a1")
    assert caught.value.retry_after == 90.0
    assert updates(fake) == [] and sleeps == []


def test_ok_false_answers_become_error_kinds(slack, fake):
    with pytest.raises(InvalidRequest, match="guests, bots"):
        slack.grant(PrincipalRef("UGUEST"), ONCALL, action_id="a1")
    assert fake.members("SONCALL") == ["UBOB", "UCAROL"]


def test_list_members_returns_a_large_group_whole(slack, fake):
    """usergroups.users.list has no pagination: one answer carries every member."""
    everyone = [f"U{i:05d}" for i in range(1500)]
    fake.add_group("SALL", "everyone", everyone)
    assert [m.id for m in slack.list_members(Target("SALL"))] == everyone


def test_resolve_prefers_the_known_slack_id_then_looks_up_by_email(slack, fake):
    assert slack.resolve(Subject(email="x@acme.test", slack_user_id="UDAN")).id == "UDAN"
    assert slack.resolve(Subject(email="alice@acme.test")).id == "UALICE"
    assert fake.methods() == ["users.lookupByEmail"]
    with pytest.raises(PrincipalNotFound, match="guest or bot"):
        slack.resolve(Subject(email="guest@partner.test"))
    with pytest.raises(PrincipalNotFound):
        slack.resolve(Subject(email="nobody@acme.test"))


def test_dry_run_reads_but_does_not_update(slack, fake):
    result = slack.grant(ALICE, ONCALL, action_id="a1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == ("usergroups.users.update users=UBOB,UCAROL,UALICE",)
    assert updates(fake) == []


def test_enterprise_grid_team_id_is_sent_on_usergroup_calls(make, fake):
    make(team_id="T1").grant(ALICE, ONCALL, action_id="a1")
    assert all(params.get("team_id") == "T1" for method, params in fake.calls if method.startswith("usergroups."))


def run_concurrently(*jobs) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * len(jobs)

    def run(index, job):
        try:
            job()
        except BaseException as exc:  # collected for the assertions below
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_two_writers_sharing_the_group_lock_lose_no_update(make, fake):
    fake.list_delay = 0.05  # both writers would read the same old list without the lock
    shared = ConnectorHost(lock=InProcessLocks())  # the bot passes a PostgreSQL advisory lock (tests/store)
    first, second = make({"host": shared}), make({"host": shared})

    outcomes = run_concurrently(lambda: first.grant(ALICE, ONCALL, action_id="a1"),
                                lambda: second.grant(PrincipalRef("UDAN"), ONCALL, action_id="a2"))

    assert outcomes == [None, None]
    assert sorted(fake.members("SONCALL")) == ["UALICE", "UBOB", "UCAROL", "UDAN"]
    later_update = updates(fake)[1].split(",")
    assert set(later_update) == {"UALICE", "UBOB", "UCAROL", "UDAN"}  # built on the first writer's result


def test_without_a_shared_lock_the_read_back_catches_the_lost_update(make, fake):
    fake.sync_readers(2)  # both writers read ["UBOB", "UCAROL"] before either writes
    fake.hold_later_reads_until_updates(2)  # the read-backs land after both writes
    first, second = make(), make()  # two replicas, each with only its own in-process lock
    jobs = [lambda: first.grant(ALICE, ONCALL, action_id="a1"),
            lambda: second.grant(PrincipalRef("UDAN"), ONCALL, action_id="a2")]

    outcomes = run_concurrently(*jobs)

    assert sorted(updates(fake)) == ["UBOB,UCAROL,UALICE", "UBOB,UCAROL,UDAN"]  # one overwrote the other
    failed = [i for i, outcome in enumerate(outcomes) if outcome is not None]
    assert len(failed) == 1 and isinstance(outcomes[failed[0]], TransientError)  # reported, not silent
    jobs[failed[0]]()  # the runner retries the transient failure
    assert sorted(fake.members("SONCALL")) == ["UALICE", "UBOB", "UCAROL", "UDAN"]


# -- rate limits: api.slack.com/docs/rate-limits, every usergroups.* method is Tier 2 (20+/minute) ---

def spanning_host() -> ConnectorHost:
    """What the bot lends on PostgreSQL: one lock for every replica (an advisory lock, tests/store)."""
    return ConnectorHost(lock=InProcessLocks(), lock_spans_replicas=True)


def test_with_a_lock_across_replicas_a_change_costs_two_tier2_calls(make, fake):
    slack = make({"host": spanning_host()})
    slack.grant(ALICE, ONCALL, action_id="a1")
    fake.calls.clear()

    assert slack.grant(PrincipalRef("UDAN"), ONCALL, action_id="a2").outcome is Outcome.APPLIED
    assert slack.revoke(ALICE, ONCALL, action_id="r1").outcome is Outcome.APPLIED

    # The update's own answer verifies it; the group's id and type come from the cache.
    assert fake.methods() == ["usergroups.users.list", "usergroups.users.update"] * 2
    assert sorted(fake.members("SONCALL")) == ["UBOB", "UCAROL", "UDAN"]


def test_a_burst_of_changes_stays_within_tier2(make, fake):
    fake.tier2_per_minute = 20
    for i in range(18):
        fake.add_user(f"UNEW{i:02d}", f"new{i}@acme.test")
    slack = make({"host": spanning_host()})

    outcomes = [slack.grant(PrincipalRef(f"UNEW{i:02d}"), ONCALL, action_id=f"a{i}").outcome for i in range(18)]

    assert outcomes == [Outcome.APPLIED] * 18  # no 429: at most 18 calls of any one method this minute
    assert fake.methods().count("usergroups.list") == 1
    assert len(fake.members("SONCALL")) == 20


def test_a_user_group_can_be_named_by_its_handle(make, fake):
    slack = make({"host": spanning_host()})
    assert slack.grant(ALICE, Target("@oncall"), action_id="a1").outcome is Outcome.APPLIED
    assert slack.is_granted(ALICE, Target("@OnCall")) is True
    assert fake.members("SONCALL")[-1] == "UALICE"
    assert fake.methods().count("usergroups.list") == 1  # the handle's id is cached


def test_the_group_cache_expires_and_an_unknown_group_is_looked_up_again(make, fake):
    now = [0.0]
    slack = make({"monotonic": lambda: now[0]}, group_cache_seconds=600)
    slack.is_granted(ALICE, ONCALL)
    fake.add_group("SNEW", "new-team", ["UBOB"])
    assert [m.id for m in slack.list_members(Target("@new-team"))] == ["UBOB"]  # not cached yet: read again
    assert fake.methods().count("usergroups.list") == 2
    with pytest.raises(TargetNotFound):
        slack.is_granted(ALICE, Target("@nobody"))
    assert fake.methods().count("usergroups.list") == 3  # a miss is read again once, then refused
    now[0] += 601
    slack.is_granted(ALICE, ONCALL)
    assert fake.methods().count("usergroups.list") == 4  # expired
