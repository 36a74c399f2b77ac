"""Access reviews driven as Slack would: the campaign starts (CLI), each reviewer gets one DM, opens the
review modal, keeps, revokes with a reason, keeps all, reassigns; forged clicks are refused and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.review import review_app
from bot.directory import service as directory
from bot.domain.enums import GrantStatus
from bot.store.models import Grant, ReviewItem
from tests.reviews.conftest import holding
from bot.slack.review_refs import ReviewItemRef
from bot.timers.service import TimerService
from connectors.memory import MemoryConnector
from tests.slack.harness import ALICE, BOB, CATALOG, DANA, IVAN, OLGA, running_bot, seed_slack_users
from tests.support.fake_slack import FakeSlack

REVIEWS = """
reviews:
  - name: github
    scope: {resources: [github, wiki]}
    reviewers: [owners, manager]
    duration: 10d
    reminders: [2d]
"""

cli = typer.Typer()
cli.add_typer(review_app, name="review")


@pytest.fixture
def bot(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS) as sw:
        yield sw


def _start(sw) -> str:
    result = CliRunner().invoke(cli, ["review", "start", "github", "--as", "ivan@acme.test"], obj=sw.deps)
    assert result.exit_code == 0, result.output
    sw.settle()
    return result.output


def _open_review(sw, user):
    [dm] = [m for m in sw.fake.dm(user) if "Access review" in m.visible_text]
    since = sw.fake.last_seq
    assert sw.sim.click(user, on=dm, action_id="review_open").status == 200
    sw.fake.wait_for_call("views.open", after=since, ok=True)
    # The modal opens with "Loading…" and is then filled in (another view's redraw may come first).
    sw.fake.wait_until(lambda: "reviewed, due" in sw.fake.modal_stack(user)[-1].visible_text,
                       what=f"{user}'s review filled in")
    sw.settle()
    return sw.fake.modal_stack(user)[-1]


def _item_of(sw, holder_email) -> ReviewItem:
    with sw.store.uow() as s:
        holder = directory.require(s, holder_email)
        return s.scalar(select(ReviewItem).where(ReviewItem.holder_id == holder.id))


def test_reviewers_get_one_dm_and_keep_and_revoke_from_the_modal(bot):
    holding(bot.world, "alice@acme.test", "github:member")
    holding(bot.world, "olga@acme.test", "github:member")  # the owner's own: goes to her manager
    holding(bot.world, "bob@acme.test", "wiki:editor")  # no owners: his manager dana
    assert "0 of 3 reviewed" in _start(bot)
    assert [m for m in bot.fake.dm(OLGA) if "Access review" in m.visible_text]
    assert len([m for m in bot.fake.dm(DANA) if "Access review" in m.visible_text]) == 1
    assert not [m for m in bot.fake.dm(ALICE) if "Access review" in m.visible_text]

    view = _open_review(bot, OLGA)
    assert "0 of 1 reviewed" in view.visible_text and "alice" in view.visible_text.lower()
    assert "last used unknown" in view.visible_text
    alice_item = _item_of(bot, "alice@acme.test")
    since = bot.fake.last_seq
    bot.sim.click(OLGA, on=view.id, action_id="review_revoke", block_id=f"review_actions:{alice_item.id}")
    bot.fake.wait_for_call("views.push", after=since, ok=True)
    reason_view = bot.fake.modal_stack(OLGA)[-1]
    refused = bot.sim.submit(OLGA, reason_view.id, {"reason": "  "})
    assert refused.errors == {"reason": "A reason is required to revoke access."}
    since = bot.fake.last_seq
    bot.sim.submit(OLGA, reason_view.id, {"reason": "moved to <!channel> sales"})
    bot.fake.wait_for_call("views.update", after=since, ok=True, view_id=view.id)
    bot.settle()
    redrawn = bot.fake.modal_stack(OLGA)[-1]
    assert "1 of 1 reviewed" in redrawn.visible_text and "Revoked" in redrawn.visible_text
    assert not bot.world.holds("alice@acme.test", "gh-members")  # the target confirmed
    home = bot.sim.open_home(OLGA)
    assert "Access review github" in home.visible_text and "1 of 1 reviewed" in home.visible_text
    with bot.store.uow() as s:
        assert s.get(Grant, alice_item.grant_id).status == GrantStatus.REVOKED
    told = [m for m in bot.fake.dm(ALICE) if "access review" in m.visible_text]
    assert told and "moved to" in told[-1].visible_text and "<!channel>" not in told[-1].text

    # Dana keeps Bob's wiki access with one click; a double click makes one decision.
    view = _open_review(bot, DANA)
    bob_item = _item_of(bot, "bob@acme.test")
    bot.sim.click(DANA, on=view.id, action_id="review_keep", block_id=f"review_actions:{bob_item.id}")
    # The second click of a double click comes from the view as it was rendered (a stale snapshot).
    bot.sim.click(DANA, on=view, action_id="review_keep", block_id=f"review_actions:{bob_item.id}")
    bot.settle()
    decided = bot.audit("review.decided")
    assert [e.detail["decision"] for e in decided] == ["revoked", "kept"]
    # the empty reason, then Dana's second click
    assert [e.detail["code"] for e in bot.audit("refused.review.decide")] == ["missing_justification", "invalid_state"]


def test_a_forged_click_on_someone_elses_item_is_refused_and_audited(bot):
    holding(bot.world, "alice@acme.test", "github:member")  # olga reviews it
    holding(bot.world, "bob@acme.test", "wiki:editor")  # dana reviews it
    _start(bot)
    alice_item, bob_item = _item_of(bot, "alice@acme.test"), _item_of(bot, "bob@acme.test")
    view = _open_review(bot, DANA)
    assert "alice" not in view.visible_text.lower()  # only her own items are shown
    forged = ReviewItemRef(item_id=alice_item.id).dump()
    ack = bot.sim.click(DANA, on=view.id, action_id="review_keep", block_id=f"review_actions:{bob_item.id}",
                        button_value=forged)
    assert ack.status == 200
    bot.settle()
    [refusal] = bot.audit("refused.review.decide")
    assert refusal.actor == "dana@acme.test" and refusal.detail["code"] == "not_authorized"
    with bot.store.uow() as s:
        assert s.get(ReviewItem, alice_item.id).status == "pending"
        assert s.get(ReviewItem, bob_item.id).status == "pending"


def test_reassign_then_keep_all_with_confirmation(bot):
    holding(bot.world, "alice@acme.test", "github:member")
    _start(bot)
    item = _item_of(bot, "alice@acme.test")
    view = _open_review(bot, OLGA)
    bot.sim.click(OLGA, on=view.id, action_id=f"review_reassign:{item.id}", value=ALICE)  # the holder: refused
    bot.settle()
    assert bot.audit("refused.review.reassign")
    bot.sim.click(OLGA, on=view.id, action_id=f"review_reassign:{item.id}", value=DANA)
    bot.settle()
    with bot.store.uow() as s:
        assert s.get(ReviewItem, item.id).reviewer_id != item.reviewer_id
    assert [m for m in bot.fake.dm(DANA) if "Access review" in m.visible_text]
    view = _open_review(bot, DANA)
    since = bot.fake.last_seq
    bot.sim.click(DANA, on=view.id, action_id="review_keep_all")
    bot.fake.wait_for_call("views.push", after=since, ok=True)
    confirm = bot.fake.modal_stack(DANA)[-1]
    answer = bot.sim.submit(DANA, confirm.id, {})
    assert answer.response_action == "update"
    bot.settle()
    assert [e.detail["how"] for e in bot.audit("review.decided")] == ["bulk"]


def _answer(sw, user: str, text: str) -> str:
    seen = len(sw.fake.ephemerals(user))
    assert sw.sim.slash(user, "/access-admin", text).status == 200
    return sw.fake.wait_until(lambda: sw.fake.ephemerals(user)[seen:], what="the answer")[-1].visible_text


def test_access_admin_review_start_status_remind_close(bot):
    holding(bot.world, "alice@acme.test", "github:member")
    assert "Only IT admins can run access reviews" in _answer(bot, BOB, "review start github")
    assert [a.detail["code"] for a in bot.audit("refused.review.start")] == ["not_authorized"]
    assert "Started #1 github (open): 0 of 1 reviewed" in _answer(bot, IVAN, "review start github")
    assert "already running" in _answer(bot, IVAN, "review start github")
    assert "No review campaign" in _answer(bot, IVAN, "review start nope")
    bot.settle()
    # No IT channel in this catalog: IT admins follow the campaign in their DM.
    [follow] = [m for m in bot.fake.dm(IVAN) if "Access review github" in m.visible_text]
    assert "is running: 0 of 1 reviewed" in follow.visible_text
    assert "0 of 1 reviewed" in _answer(bot, IVAN, "review status")
    assert "Reminded 1 reviewer(s)." in _answer(bot, IVAN, "review remind github")
    bot.settle()
    assert len([m for m in bot.fake.dm(OLGA) if "Access review" in m.visible_text]) == 2  # the first and the reminder
    assert "(closed): 1 of 1 reviewed" in _answer(bot, IVAN, "review close github")
    bot.settle()
    assert "is closed: 1 of 1 reviewed" in bot.fake.message(follow.channel, follow.ts).visible_text
    assert not bot.world.holds("alice@acme.test", "gh-members")  # the default action: revoke
    assert "start CAMPAIGN" in _answer(bot, IVAN, "review")


def test_the_admin_api_runs_the_same_campaign(store, clock, tmp_path):
    token = "review-api-token-123"
    with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS, admin_api_token=token) as sw:
        holding(sw.world, "alice@acme.test", "github:member")
        api, auth = sw.sim.transport.client, {"Authorization": f"Bearer {token}"}
        assert api.post("/api/v1/reviews/github/start", json={"actor": "ivan@acme.test"}).status_code == 401
        refused = api.post("/api/v1/reviews/github/start", headers=auth, json={"actor": "bob@acme.test"})
        assert refused.status_code == 403 and [e.detail["code"] for e in sw.audit("refused.review.start")] == [
            "not_authorized"]
        started = api.post("/api/v1/reviews/github/start", headers=auth, json={"actor": "ivan@acme.test"})
        assert started.status_code == 201 and started.json()["items"] == 1
        item = _item_of(sw, "alice@acme.test")
        wrong = api.post(f"/api/v1/review-items/{item.id}/decision", headers=auth,
                         json={"reviewer": "dana@acme.test", "decision": "keep"})
        assert wrong.status_code == 403
        kept = api.post(f"/api/v1/review-items/{item.id}/decision", headers=auth,
                        json={"reviewer": "olga@acme.test", "decision": "keep"})
        assert kept.json() == {"id": item.id, "status": "kept"}
        assert api.get("/api/v1/reviews/github", headers=auth).json()["decided"] == 1
        closed = api.post("/api/v1/reviews/github/close", headers=auth, json={"actor": "ivan@acme.test"})
        assert closed.json()["status"] == "closed"
        report = api.get("/api/v1/reviews/1/report?format=jsonl", headers=auth)
        assert '"decision": "kept"' in report.text and '"reviewer": "olga@acme.test"' in report.text
        pdf = api.get("/api/v1/reviews/1/report?format=pdf", headers=auth)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
        assert api.get("/api/v1/reviews/nope", headers=auth).status_code == 404
        sw.settle()


def test_a_restart_mid_campaign_loses_nothing(store, clock, tmp_path):
    """The bot is rebuilt on the same database half-way: the DM posted before still works, and the
    deadline (a due action in the database) still revokes what nobody answered."""
    fake, target = FakeSlack.start(), {"mem": MemoryConnector("mem")}  # the target outlives the bot
    try:
        seed_slack_users(fake)
        with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS, fake=fake, connectors=target) as first:
            holding(first.world, "alice@acme.test", "github:member")
            holding(first.world, "bob@acme.test", "github:member")
            with first.store.uow() as s:  # permanent, so only the review ends them
                for grant in s.query(Grant):
                    grant.ends_at = None
            _start(first)
        with running_bot(store, clock, tmp_path, catalog=CATALOG + REVIEWS, fake=fake, connectors=target) as second:
            view = _open_review(second, OLGA)  # the DM the first process posted
            alice_item = _item_of(second, "alice@acme.test")
            second.sim.click(OLGA, on=view.id, action_id="review_keep", block_id=f"review_actions:{alice_item.id}")
            second.settle()
            clock.advance(timedelta(days=10, minutes=1))
            TimerService(second.deps).sweep_once()
            second.settle()
            assert second.world.holds("alice@acme.test", "gh-members")
            assert not second.world.holds("bob@acme.test", "gh-members")
            decided = {e.person_email: (e.detail["decision"], e.detail["how"]) for e in second.audit("review.decided")}
            assert decided == {"alice@acme.test": ("kept", "reviewer"), "bob@acme.test": ("revoked", "deadline")}
            told = [m for m in fake.dm(BOB) if "access review" in m.visible_text]
            assert told and "not reviewed by the deadline" in told[-1].visible_text
        fake.assert_no_unexpected_errors()
    finally:
        fake.stop()
