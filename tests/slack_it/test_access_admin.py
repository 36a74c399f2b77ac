"""/access-admin grants | revoke | grant: IT admins only, through the same domain rules as everyone."""

from __future__ import annotations

from bot.domain.enums import GrantStatus
from tests.slack.harness import ALICE, BOB, IVAN
from tests.slack_it.helpers import grant_status, holding


def _answer(bot, user: str, text: str) -> str:
    seen = len(bot.fake.ephemerals(user))
    bot.sim.slash(user, "/access-admin", text)
    return bot.fake.wait_until(lambda: bot.fake.ephemerals(user)[seen:], what="the answer")[-1].visible_text


def test_grants_lists_what_a_person_holds_for_admins_only(bot):
    holding(bot, "alice@acme.test", "github:member")
    holding(bot, "alice@acme.test", "github:admin")
    shown = _answer(bot, IVAN, "grants @alice")
    assert "<@U0ALICE001> (alice@acme.test) holds 2:" in shown
    assert "*GitHub member* `github:member` · 🔓 active · until" in shown and "(4 h left)" in shown
    assert "granted by dana@acme.test" in shown  # github:admin was approved by Alice's manager

    assert "Only IT admins can use /access-admin" in _answer(bot, BOB, "grants @alice")
    assert [a.detail["code"] for a in bot.audit("refused.access_admin")] == ["not_authorized"]
    assert "Mention the person" not in _answer(bot, BOB, "help") and "/access-admin grants @jane" in _answer(bot, BOB, "")


def test_revoke_removes_the_access_and_the_holder_is_told(bot):
    grant_id = holding(bot, "alice@acme.test", "github:member")
    shown = _answer(bot, IVAN, "revoke @alice github:member no longer on the team")
    assert f"Removing *GitHub member* from <@{ALICE}> (grant #{grant_id})" in shown
    bot.fake.wait_until(lambda: grant_status(bot, "alice@acme.test", grant_id) == GrantStatus.REVOKED, what="revoked")
    bot.settle()
    assert any("was removed by <@U0IVAN0001>" in m.visible_text for m in bot.fake.dm(ALICE))
    assert "holds no github:member" in _answer(bot, IVAN, "revoke @alice github:member")


def test_grant_pushes_access_without_approval_but_never_past_the_rules(bot):
    shown = _answer(bot, IVAN, "grant @alice github:admin 1h INC-42 needs an org owner tonight")
    assert "Pushed *GitHub admin* to <@U0ALICE001> for 1 hour" in shown
    bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.ACTIVE],
                        what="active")
    [grant] = bot.grants_of("alice@acme.test")
    assert grant.granted_by == "admin: ivan@acme.test" and grant.entitlement == "github:admin"
    [pushed] = bot.audit("request.admin_pushed")
    assert pushed.actor == "ivan@acme.test" and pushed.detail["reason"] == "INC-42 needs an org owner tonight"

    holding(bot, "alice@acme.test", "erp:payments-create")
    refused = _answer(bot, IVAN, "grant @alice erp:payments-approve 1h month-end close")
    assert "erp:payments-approve cannot be held together with erp:payments-create (payments-four-eyes" in refused
    assert "erp:payments-approve" not in {g.entitlement for g in bot.grants_of("alice@acme.test")}
    assert "2 days is above the 1-day maximum" in _answer(bot, IVAN, "grant @alice github:admin 2d just because")
    assert "cannot push access to yourself" in _answer(bot, IVAN, "grant @ivan github:admin 1h testing")
    assert "name the access as APP:ROLE" in _answer(bot, IVAN, "grant @alice github 1h x")


def test_stats_gives_an_admin_the_headline_numbers_and_refuses_everyone_else(bot):
    request_id = bot.world.submit("alice@acme.test", "github:admin", justification="release night")
    bot.world.advance(minutes=10)
    bot.world.decide("dana@acme.test", request_id)
    bot.world.run()
    bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.ACTIVE],
                        what="active")
    bot.world.advance(minutes=1)  # the period ends now, exclusive

    shown = _answer(bot, IVAN, "stats")
    assert "accessbot, last 30 days" in shown
    assert "Time to approve: p50 10m, p90 10m, max 10m (1)" in shown  # Dana approved 10 minutes on
    assert "Time to provision: p50 10m" in shown and "Active grants time-bound: 100.0% of 1" in shown
    assert "Open requests: 0" in shown and "Orphaned accounts open: 0" in shown
    assert "http" not in shown and "alice" not in shown  # no links, no people

    assert "Only IT admins can use /access-admin" in _answer(bot, BOB, "stats")
    [refused] = bot.audit("refused.access_admin")
    assert (refused.subject_type, refused.subject_id, refused.detail["code"]) == ("report", "stats", "not_authorized")
    assert "nothing comes after stats" in _answer(bot, IVAN, "stats now")
