from __future__ import annotations

import json
import threading

import httpx
import pytest
import respx

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import AuthError, InvalidRequest, ManagedExternally, NotFound, PrincipalNotFound, RateLimited
from connectors.github import GitHubConnector
from tests.support.vendors.factory import connector_factory
from tests.support.vendors.github import ORG, TOKEN, GitHubFake, gh_error

OCTO = PrincipalRef("octocat", "Octocat")
NEWBIE = PrincipalRef("newbie", "Newbie")
PLATFORM = Target("team:platform", entitlement="github:platform")
ORG_TARGET = Target("org", entitlement="github:member")
TEAM_PATH = f"/orgs/{ORG}/teams/platform/memberships"


@pytest.fixture
def github_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = GitHubFake(router)
        fake.add_user("octocat", in_org=True)
        fake.add_user("boss", in_org=True, role="admin")
        fake.add_user("newbie")
        fake.add_team("platform")
        fake.add_team("synced", idp_groups=("okta-eng",),
                      sync_message="This team's membership is managed by team synchronization with an IdP group.")
        fake.add_team("synced-quietly", idp_groups=("okta-ops",))
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(github_fake, sleeps):
    options = {"token": TOKEN, "org": ORG, "min_write_interval_seconds": 0}
    with connector_factory(GitHubConnector, "github", options, sleep=sleeps.append) as build:
        yield build


@pytest.fixture
def github(make):
    return make()


def test_team_grant_twice_applies_then_reports_already(github, github_fake):
    first = github.grant(OCTO, PLATFORM, action_id="a1")
    second = github.grant(OCTO, PLATFORM, action_id="a2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert github_fake.calls() == [("GET", f"/orgs/{ORG}/teams/platform/external-groups"),  # read once, cached
                                   ("GET", f"{TEAM_PATH}/octocat"), ("PUT", f"{TEAM_PATH}/octocat"),
                                   ("GET", f"{TEAM_PATH}/octocat")]
    put = next(c.request for c in github_fake.router.calls if c.request.method == "PUT")
    assert json.loads(put.content) == {"role": "member"}
    assert put.headers["accept"] == "application/vnd.github+json"
    assert put.headers["x-github-api-version"] == "2022-11-28"


def test_team_revoke_twice_applies_then_reports_already(github, github_fake):
    github.grant(OCTO, PLATFORM, action_id="a1")
    first = github.revoke(OCTO, PLATFORM, action_id="r1")
    second = github.revoke(OCTO, PLATFORM, action_id="r2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert "octocat" not in github_fake.teams["platform"]["members"]
    assert github_fake.writes().count(("DELETE", f"{TEAM_PATH}/octocat")) == 1


def test_delete_404_is_already(github, github_fake):
    # The read still shows a membership that someone else removes before our DELETE lands.
    github_fake.answer_next(httpx.Response(200, json={"role": "member", "state": "active"}))
    assert github.revoke(OCTO, PLATFORM, action_id="r1").outcome is Outcome.ALREADY


def test_inviting_an_outsider_is_pending_until_accepted(github, github_fake):
    first = github.grant(NEWBIE, ORG_TARGET, action_id="a1")
    again = github.grant(NEWBIE, ORG_TARGET, action_id="a2")

    assert first.outcome is Outcome.PENDING and again.outcome is Outcome.PENDING
    assert first.target_ref == "invitation:newbie"
    assert "state=pending" in first.detail
    assert github_fake.writes() == [("PUT", f"/orgs/{ORG}/memberships/newbie")]  # no second invitation
    assert github.poll(NEWBIE, ORG_TARGET, first).outcome is Outcome.PENDING
    assert github.is_granted(NEWBIE, ORG_TARGET) is False

    github_fake.accept_invitation("newbie")

    assert github.poll(NEWBIE, ORG_TARGET, first).outcome is Outcome.APPLIED
    assert github.grant(NEWBIE, ORG_TARGET, action_id="a3").outcome is Outcome.ALREADY


def test_team_grant_for_an_outsider_is_pending_and_polls_to_applied(github, github_fake):
    pending = github.grant(NEWBIE, PLATFORM, action_id="a1")
    assert pending.outcome is Outcome.PENDING
    github_fake.accept_invitation("newbie")
    assert github.poll(NEWBIE, PLATFORM, pending).outcome is Outcome.APPLIED
    assert github.is_granted(NEWBIE, PLATFORM) is True


def test_poll_of_a_withdrawn_invitation_fails_permanently(github, github_fake):
    pending = github.grant(NEWBIE, ORG_TARGET, action_id="a1")
    assert github.revoke(NEWBIE, ORG_TARGET, action_id="r1").outcome is Outcome.APPLIED  # cancels the invitation
    with pytest.raises(NotFound, match="no longer exists") as caught:
        github.poll(NEWBIE, ORG_TARGET, pending)
    assert caught.value.retryable is False


def test_admins_are_never_demoted_by_a_member_grant_and_admin_revoke_demotes(github, github_fake):
    boss = PrincipalRef("boss")
    assert github.grant(boss, ORG_TARGET, action_id="a1").outcome is Outcome.ALREADY
    admin = Target("org", options={"role": "admin"})
    assert github.grant(OCTO, admin, action_id="a2").outcome is Outcome.APPLIED
    assert github_fake.org_members["octocat"]["role"] == "admin"

    assert github.revoke(OCTO, admin, action_id="r1").outcome is Outcome.APPLIED
    assert github_fake.org_members["octocat"] == {"role": "member", "state": "active"}  # still in the org
    assert github.revoke(OCTO, admin, action_id="r2").outcome is Outcome.ALREADY


def test_revoking_member_while_another_grant_gives_admin_keeps_the_membership(github, github_fake):
    admin = {"role": "admin"}
    github.grant(OCTO, Target("org", options=admin), action_id="a1")
    result = github.revoke(OCTO, Target("org", retained=(admin,)), action_id="r1")
    assert result.outcome is Outcome.ALREADY and "admin" in result.detail
    assert github_fake.org_members["octocat"]["role"] == "admin"
    # Revoking the admin grant while a member grant lives on demotes, as without it.
    assert github.revoke(OCTO, Target("org", options=admin, retained=({},)), action_id="r2").outcome \
        is Outcome.APPLIED
    assert github_fake.org_members["octocat"]["role"] == "member"


def test_team_sync_refusal_is_managed_elsewhere(github, github_fake):
    with pytest.raises(ManagedExternally, match="identity-provider"):
        github.grant(OCTO, Target("team:synced"), action_id="a1")


def test_team_sync_is_recognised_from_group_mappings_when_the_message_says_nothing(github, github_fake):
    with pytest.raises(ManagedExternally):
        github.grant(OCTO, Target("team:synced-quietly"), action_id="a1")
    assert ("GET", f"/orgs/{ORG}/teams/synced-quietly/team-sync/group-mappings") in github_fake.calls()


def test_a_plain_403_on_an_unsynced_team_is_an_auth_error(github, github_fake):
    github_fake.answer_next(gh_error(404, "Not Found"))  # external groups: not an EMU organisation
    github_fake.answer_next(gh_error(404, "Not Found"))  # the membership read
    github_fake.answer_next(gh_error(403, "Must have admin rights to this team."))
    with pytest.raises(AuthError):
        github.grant(OCTO, PLATFORM, action_id="a1")


def test_wrong_token_fails_the_check_as_auth(make):
    checks = {c.name: c for c in make(token="ghp_wrong").check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"
    assert "Bad credentials" in checks["credentials"].detail


def test_check_passes_with_a_good_token(github):
    assert all(c.ok for c in github.check())


def test_primary_rate_limit_is_raised_with_the_reset_wait(github, github_fake, sleeps):
    github_fake.answer_next(GitHubFake.primary_limit(reset_in=1800))
    with pytest.raises(RateLimited) as caught:
        github.grant(OCTO, PLATFORM, action_id="a1")
    assert 1700 <= caught.value.retry_after <= 1800
    assert sleeps == [] and github_fake.writes() == []


def test_secondary_limit_with_retry_after_is_waited_for(github, github_fake, sleeps):
    github_fake.answer_next(GitHubFake.secondary_limit(retry_after=2))
    assert github.grant(OCTO, PLATFORM, action_id="a1").outcome is Outcome.APPLIED
    assert sleeps == [2.0]


def test_secondary_limit_without_retry_after_waits_a_minute_via_the_scheduler(github, github_fake, sleeps):
    github_fake.answer_next(GitHubFake.secondary_limit(retry_after=None))
    with pytest.raises(RateLimited) as caught:
        github.grant(OCTO, PLATFORM, action_id="a1")
    assert caught.value.retry_after == 60.0
    assert sleeps == []


def test_list_members_follows_link_next(make, github_fake):
    for i in range(5):
        github_fake.add_user(f"dev{i}", in_org=True)
        github_fake.teams["platform"]["members"][f"dev{i}"] = {"role": "member", "state": "active"}
    github = make(page_size=2)

    members = [m.id for m in github.list_members(PLATFORM)]

    assert members == [f"dev{i}" for i in range(5)]
    assert github_fake.calls().count(("GET", f"/orgs/{ORG}/teams/platform/members")) == 3
    assert [len(page) for page in github.member_pages(PLATFORM)] == [2, 2, 1]


def test_org_admin_listing_filters_by_role(github):
    assert [m.id for m in github.list_members(Target("org", options={"role": "admin"}))] == ["boss"]


def test_mutations_are_serialised_per_instance(github, github_fake):
    github_fake.write_latency = 0.02
    logins = [f"dev{i}" for i in range(4)]
    for login in logins:
        github_fake.add_user(login, in_org=True)
    threads = [threading.Thread(target=github.grant, args=(PrincipalRef(login), PLATFORM), kwargs={"action_id": login})
               for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(github_fake.teams["platform"]["members"]) == set(logins)
    assert github_fake.max_in_flight == 1


def test_mutations_are_spaced_by_the_minimum_interval(make, github_fake, sleeps):
    now = [100.0]
    github = make({"monotonic": lambda: now[0]}, min_write_interval_seconds=1.0)
    github_fake.add_user("dev0", in_org=True)
    github.grant(OCTO, PLATFORM, action_id="a1")
    now[0] += 0.25
    github.grant(PrincipalRef("dev0"), PLATFORM, action_id="a2")
    assert sleeps == [0.75]


def test_resolve_needs_a_github_handle(github):
    assert github.resolve(Subject(email="o@acme.test", handles={"github": "OctoCat"})) == PrincipalRef("octocat",
                                                                                                        "Octocat")
    with pytest.raises(PrincipalNotFound, match="handles.github"):
        github.resolve(Subject(email="o@acme.test"))
    with pytest.raises(PrincipalNotFound, match="does not exist"):
        github.resolve(Subject(email="o@acme.test", handles={"github": "ghost"}))


def test_bad_target_and_role_are_refused_clearly(github, github_fake):
    with pytest.raises(InvalidRequest, match="'org' or 'team:<slug>'"):
        github.grant(OCTO, Target("repo:x"), action_id="a1")
    with pytest.raises(InvalidRequest, match="maintainer"):
        github.grant(OCTO, Target("team:platform", options={"role": "owner"}), action_id="a1")
    assert github_fake.calls() == []


def test_dry_run_reads_but_writes_nothing(github, github_fake):
    result = github.grant(OCTO, PLATFORM, action_id="a1", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == (f"PUT /orgs/{ORG}/teams/platform/memberships/octocat role=member",)
    assert github_fake.writes() == []


# -- Enterprise Managed Users: docs.github.com/enterprise-cloud@latest/rest/teams/external-groups ----

@pytest.fixture
def emu_fake():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        fake = GitHubFake(router, emu=True)
        fake.add_user("octocat", in_org=True)
        fake.add_team("platform")
        fake.add_team("sre", external_group="Okta SRE")
        yield fake


def test_a_team_linked_to_an_external_group_is_managed_elsewhere_before_any_write(emu_fake, sleeps):
    now = [100.0]
    with connector_factory(GitHubConnector, "github", {"token": TOKEN, "org": ORG, "min_write_interval_seconds": 0},
                           sleep=sleeps.append, monotonic=lambda: now[0]) as build:
        github = build()
        for call in (github.grant, github.revoke):
            with pytest.raises(ManagedExternally, match="external group Okta SRE"):
                call(OCTO, Target("team:sre"), action_id="a1")
        with pytest.raises(ManagedExternally):
            github.grant(OCTO, Target("team:sre"), action_id="a2", dry_run=True)
        assert emu_fake.writes() == []
        links = ("GET", f"/orgs/{ORG}/teams/sre/external-groups")
        assert emu_fake.calls().count(links) == 1  # cached for team_cache_seconds

        emu_fake.teams["sre"]["external_group"] = None  # unlinked in the enterprise
        now[0] += 301
        assert github.grant(OCTO, Target("team:sre"), action_id="a3").outcome is Outcome.APPLIED
        assert emu_fake.calls().count(links) == 2


def test_an_unlinked_team_of_a_managed_users_enterprise_is_changed(emu_fake, sleeps):
    with connector_factory(GitHubConnector, "github", {"token": TOKEN, "org": ORG, "min_write_interval_seconds": 0},
                           sleep=sleeps.append) as build:
        assert build().grant(OCTO, PLATFORM, action_id="a1").outcome is Outcome.APPLIED


# -- secondary rate limits: docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api ---
# "Otherwise, wait for at least one minute before retrying. If your request continues to fail due
# to a secondary rate limit, wait for an exponentially increasing amount of time between retries."

def secondary_limit_waits(github, github_fake, *retry_afters: int | None) -> list[float]:
    """The wait each grant is told after one secondary limit with the given retry-after (or none)."""
    waits = []
    for attempt, retry_after in enumerate(retry_afters):
        github_fake.answer_next(GitHubFake.secondary_limit(retry_after=retry_after))
        with pytest.raises(RateLimited) as caught:
            github.grant(OCTO, PLATFORM, action_id=f"a{attempt}")
        waits.append(caught.value.retry_after)
    return waits


def test_repeated_secondary_limits_back_off_exponentially_until_a_request_goes_through(github, github_fake):
    assert secondary_limit_waits(github, github_fake, None, None, None, None) == [60.0, 120.0, 240.0, 480.0]

    assert github.grant(OCTO, PLATFORM, action_id="a5").outcome is Outcome.APPLIED
    # A request went through: the count starts again.
    assert secondary_limit_waits(github, github_fake, None) == [60.0]


def test_a_repeated_secondary_limit_waits_the_longer_of_retry_after_and_the_backoff(github, github_fake):
    assert secondary_limit_waits(github, github_fake, None, 30, 900) == [60.0, 120.0, 900.0]


def test_the_backoff_is_capped(make, github_fake):
    github = make(secondary_limit_max_wait_seconds=200)
    assert secondary_limit_waits(github, github_fake, None, None, None, None) == [60.0, 120.0, 200.0, 200.0]
