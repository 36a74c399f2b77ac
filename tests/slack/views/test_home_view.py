from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.slack.readmodels.home import HomeApproval, HomeGrant, HomeModel, HomeRequest
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo
from bot.slack.views.home import render_home
from tests.support import blockkit

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
ME = PersonInfo(1, "Alice", "alice@acme.test", "U0ALICE001")
ENT = EntitlementInfo("github:admin", "GitHub admin", "github", "high")


def model(grants=0, requests=0, approvals=0, limits=None) -> HomeModel:
    return HomeModel(
        ME,
        tuple(HomeGrant(i, ENT, "active", NOW, NOW + timedelta(hours=i + 1), (timedelta(hours=1),))
              for i in range(grants)),
        tuple(HomeRequest(i, ENT, timedelta(hours=4), NOW, "Manager") for i in range(requests)),
        tuple(HomeApproval(i, ME, ENT, None, "why " * 50, "Owners", NOW) for i in range(approvals)),
        limits or {})


def test_an_empty_home_invites_a_request():
    view = render_home(model(), NOW)
    assert blockkit.view_errors(view) == []
    assert "You have no access through accessbot right now." in str(view)
    assert "Nothing waits for your approval" in str(view)


def test_huge_homes_stay_under_the_100_block_limit_and_keep_show_more():
    for limits in ({}, {"grants": 500, "requests": 500, "approvals": 500}):
        view = render_home(model(300, 300, 300, limits), NOW)
        assert blockkit.view_errors(view) == [] and len(view["blocks"]) <= 100
        assert str(view).count("home_show_more") == 3


def test_time_left_is_shown_for_each_grant():
    view = render_home(model(grants=2), NOW)
    assert "1 h left" in str(view) and "2 h left" in str(view)
