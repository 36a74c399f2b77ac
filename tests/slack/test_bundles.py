"""Bundles requested from every surface (docs/policies.md, "Bundles"): the quick path, the form's
picker, the App Home and the admin API. One approval round made of the entitlements' own steps, one
card listing every entitlement; approving provisions them all, denying denies them all."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.domain.enums import GrantStatus, RequestStatus
from bot.store.models import AccessRequest
from tests.slack.harness import ALICE, CATALOG, DANA, OLGA, action_ids, running_bot

TOKEN = "admin-api-token-for-the-bundle-tests"
BUNDLED = CATALOG + """
  aws-staging:
    name: AWS staging
    entitlements:
      developer: {target: aws-staging-dev}
  datadog:
    name: Datadog
    entitlements:
      user: {target: dd-users}
  sentry:
    name: Sentry
    owners: [olga@acme.test]
    entitlements:
      user: {target: sentry-users, approval: [owners]}
bundles:
  new-engineer:
    description: What a new engineer needs in the first week.
    entitlements: [github:member, aws-staging:developer, datadog:user, sentry:user]
"""
MEMBERS = ["aws-staging:developer", "datadog:user", "github:member", "sentry:user"]
LABEL = "📦 New engineer (bundle: 4 entitlements)"


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=BUNDLED, admin_api_token=TOKEN) as slack_world:
        yield slack_world


def _cards(bot, user: str) -> list:
    return [m for m in bot.fake.dm(user) if "Access request #" in m.visible_text]


def _requests(bot) -> list[tuple[str, str, str]]:
    with bot.store.uow() as s:
        return sorted((r.entitlement, r.status, r.bundle) for r in s.scalars(select(AccessRequest)))


def _approve_round(bot, lead: int) -> None:
    """Dana (the manager: aws-staging and datadog ask for her, once), then Olga (Sentry's owner)."""
    bot.settle()
    [card] = _cards(bot, DANA)
    bot.sim.click(DANA, on=card.ref, action_id="approve")
    bot.fake.wait_until(lambda: _cards(bot, OLGA), what="the second step's card for Olga")
    assert bot.request(lead).status == RequestStatus.PENDING
    bot.sim.click(OLGA, on=_cards(bot, OLGA)[-1].ref, action_id="approve")
    bot.fake.wait_until(lambda: bot.request(lead).status == RequestStatus.APPROVED, what="the bundle approved")


def _all_active(bot) -> None:
    bot.world.run()
    bot.settle()
    grants = bot.grants_of("alice@acme.test")
    assert sorted(g.entitlement for g in grants) == MEMBERS and {g.status for g in grants} == {GrantStatus.ACTIVE}
    for target in ("gh-members", "aws-staging-dev", "dd-users", "sentry-users"):
        assert bot.world.holds("alice@acme.test", target)


def test_the_quick_path_asks_for_a_bundle_in_one_round_with_one_card(bot):
    since = bot.fake.last_seq
    ack = bot.sim.slash(ALICE, "/access", "new-engineer 1d first week at Acme")
    assert ack.status == 200 and bot.fake.count("views.open") == 0
    bot.fake.wait_for_call("response_url", after=since)
    told = bot.fake.ephemerals(ALICE)[-1].text
    assert "Bundle request #1 (4 entitlements) sent: one approval for all of them" in told
    assert _requests(bot) == [(ref, "pending", "new-engineer") for ref in MEMBERS]

    bot.settle()
    [card] = _cards(bot, DANA)  # one card, not four
    text = card.visible_text
    assert f"Access request #1: {LABEL}" in text and "first week at Acme" in text
    for line in ("GitHub member `github:member`", "AWS staging developer `aws-staging:developer`",
                 "Datadog user `datadog:user`", "Sentry user `sentry:user`"):
        assert line in text
    assert "Step 1 of 2 · *Manager*" in text and "Step 2 of 2 · *Owners*" in text
    assert action_ids(card.blocks) == ["approve", "deny"] and _cards(bot, OLGA) == []

    _approve_round(bot, 1)
    _all_active(bot)
    assert {int((g.ends_at - g.starts_at).total_seconds()) for g in bot.grants_of("alice@acme.test")} == {86400}
    done = bot.fake.message(*_cards(bot, DANA)[-1].ref).visible_text
    assert "✅ Approved" in done and done.count("🔓 Access active") == 4
    assert len(_cards(bot, DANA)) == 1 and len(_cards(bot, OLGA)) == 1


def test_the_pickers_search_offers_the_bundle_and_a_denial_denies_everything(bot):
    form = bot.open_form(ALICE)
    options = bot.sim.suggest(ALICE, form.id, "entitlement_picker", "engineer")
    assert (options[0]["value"], options[0]["text"]["text"]) == ("bundle/new-engineer", LABEL)  # bundles first
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="bundle/new-engineer")
    bot.fake.wait_for_call("views.update", after=since, ok=True)
    redrawn = bot.fake.view(form.id)
    assert "Includes: GitHub member, AWS staging developer, Datadog user, Sentry user." in redrawn.visible_text
    assert "Approval: Manager → Owners" in redrawn.visible_text
    assert "starts_at" not in {b.get("block_id") for b in redrawn.blocks}  # a bundle starts when approved
    done = bot.sim.submit(ALICE, form.id, {"duration": "4h", "justification": "joining the payments team"})
    assert done.response_action == "update" and "Bundle request #1 (4 entitlements) sent" in done.top.visible_text

    bot.settle()
    [card] = _cards(bot, DANA)
    bot.sim.click(DANA, on=card.ref, action_id="deny")
    reason = bot.fake.wait_until(lambda: bot.fake.modal_stack(DANA), what="the deny form")[-1]
    bot.sim.submit(DANA, reason.id, {"reason": "starts next month, ask then"})
    bot.fake.wait_until(lambda: bot.request(1).status == RequestStatus.DENIED, what="the bundle denied")
    assert _requests(bot) == [(ref, "denied", "new-engineer") for ref in MEMBERS]
    bot.world.run()
    assert bot.grants_of("alice@acme.test") == [] and _cards(bot, OLGA) == []
    bot.settle()
    assert "❌ Denied" in bot.fake.message(*card.ref).visible_text


def test_the_app_home_requests_a_bundle_and_shows_it_as_one_pending_request(bot):
    bot.sim.open_home(ALICE)
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on="home", action_id="open_request_modal")
    bot.fake.wait_for_call("views.open", after=since, ok=True)
    form = bot.fake.modal_stack(ALICE)[-1]
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="bundle/new-engineer")
    bot.fake.wait_for_call("views.update", after=since, ok=True)
    bot.sim.submit(ALICE, form.id, {"duration": "1d"})
    bot.settle()
    home = bot.sim.open_home(ALICE).visible_text
    assert "Your pending requests (1)" in home and LABEL in home
    dana = bot.sim.open_home(DANA).visible_text
    assert "Waiting for your approval (1)" in dana and LABEL in dana

    _approve_round(bot, 1)
    _all_active(bot)


def test_the_admin_api_requests_a_bundle_and_decides_it_for_every_entitlement(bot):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=bot.url, headers=auth) as api:
        refused = api.post("/api/v1/bundles/new-engineer/requests", headers={"Authorization": "Bearer wrong"},
                           json={"requester": "alice@acme.test"})
        assert refused.status_code == 401
        unknown = api.post("/api/v1/bundles/old-engineer/requests", json={"requester": "alice@acme.test"})
        assert unknown.status_code == 404 and "new-engineer" in unknown.text
        created = api.post("/api/v1/bundles/new-engineer/requests",
                           json={"requester": "alice@acme.test", "duration": "4h", "justification": "onboarding"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["id"], body["status"], body["outcome"], body["bundle"]) == (1, "pending", "pending", "new-engineer")
        assert sorted(r["entitlement"] for r in body["requests"]) == MEMBERS
        follower = next(r["id"] for r in body["requests"] if r["id"] != body["id"])
        wrong = api.post(f"/api/v1/requests/{follower}/decisions", json={"approver": "dana@acme.test",
                                                                         "verdict": "approve"})
        assert wrong.status_code == 403 and f"part of bundle request #{body['id']}" in wrong.text

        bot.settle()
        [card] = _cards(bot, DANA)
        assert f"Access request #1: {LABEL}" in card.visible_text
        for approver in ("dana@acme.test", "olga@acme.test"):
            decided = api.post(f"/api/v1/requests/{body['id']}/decisions",
                               json={"approver": approver, "verdict": "approve"})
            assert decided.status_code == 200, decided.text
        assert decided.json()["final"] is True
    _all_active(bot)
