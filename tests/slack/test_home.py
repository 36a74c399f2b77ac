"""The App Home: what each person sees, and what they can do from it."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.domain.enums import GrantStatus, RequestStatus
from tests.slack.harness import ALICE, DANA, action_ids, running_bot
from tests.slack.test_decisions import submit_via_form


def active_grant(bot, email: str, ref: str) -> int:
    def find():
        return [g.id for g in bot.grants_of(email) if g.entitlement == ref and g.status == GrantStatus.ACTIVE]
    return bot.fake.wait_until(find, what=f"{ref} active")[0]


def test_home_shows_access_pending_requests_and_approvals_with_their_buttons(bot):
    submit_via_form(bot, ALICE, "github member", {})  # no approval: active at once
    active_grant(bot, "alice@acme.test", "github:member")
    pending = submit_via_form(bot, ALICE, "wiki editor", {})
    bot.settle()

    home = bot.sim.open_home(ALICE)
    text = home.visible_text
    assert "Your access (1)" in text and "GitHub member" in text and "left" in text
    assert "Your pending requests (1)" in text and f"#{pending} *Wiki editor*" in text
    assert "Nothing waits for your approval" in text
    assert action_ids(home.blocks) == ["open_request_modal", "extend_grant", "relinquish_grant", "cancel_request"]
    assert len(home.blocks) < 30

    dana = bot.sim.open_home(DANA)
    assert "Waiting for your approval (1)" in dana.visible_text and "asks for *Wiki editor*" in dana.visible_text
    bot.sim.click(DANA, on="home", action_id="approve", block_id=f"approval-actions:{pending}")
    bot.settle()
    assert bot.request(pending).status == RequestStatus.APPROVED
    assert "Nothing waits for your approval" in bot.fake.home(DANA).visible_text  # redrawn by the notifier


def test_relinquish_from_home_removes_the_access(bot):
    submit_via_form(bot, ALICE, "github member", {})
    grant_id = active_grant(bot, "alice@acme.test", "github:member")
    bot.settle()
    bot.sim.open_home(ALICE)
    bot.sim.click(ALICE, on="home", action_id="relinquish_grant")
    bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.id == grant_id and g.status in (
        GrantStatus.REVOKED,)], what="revoked")
    bot.settle()
    assert not bot.world.holds("alice@acme.test", "gh-members")
    assert "You gave up *GitHub member*" in bot.fake.dm(ALICE)[-1].visible_text
    assert "Your access (" not in bot.fake.home(ALICE).visible_text


def test_extend_from_home_moves_the_end_within_the_self_service_limit(bot):
    submit_via_form(bot, ALICE, "github member", {})
    grant_id = active_grant(bot, "alice@acme.test", "github:member")
    before = next(g for g in bot.grants_of("alice@acme.test") if g.id == grant_id).ends_at
    bot.settle()
    bot.sim.open_home(ALICE)
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on="home", action_id="extend_grant")
    bot.fake.wait_for_call("views.update", after=since, ok=True)  # opened at once, choices follow
    modal = bot.fake.modal_stack(ALICE)[-1]
    assert [o["value"] for o in button_options(modal)] == ["1h", "4h"]  # 1d would pass the 1-day maximum
    answer = bot.sim.submit(ALICE, modal.id, {"duration": "1h"})
    assert "Extended" in answer.top.visible_text
    after = next(g for g in bot.grants_of("alice@acme.test") if g.id == grant_id).ends_at
    assert after - before == timedelta(hours=1)


def button_options(modal) -> list[dict]:
    return next(b["element"]["options"] for b in modal.blocks if b.get("block_id") == "duration")


def test_cancel_from_the_requesters_card_withdraws_the_request_everywhere(bot):
    request_id = submit_via_form(bot, ALICE, "wiki editor", {})
    mine = bot.card_for(ALICE, request_id)
    assert action_ids(mine.blocks) == ["cancel_request"]
    bot.sim.click(ALICE, on=mine.ref, action_id="cancel_request")
    bot.settle()
    assert bot.request(request_id).status == RequestStatus.CANCELLED
    approver_copy = bot.card_for(DANA, request_id)
    assert "Cancelled" in approver_copy.visible_text and action_ids(approver_copy.blocks) == []


def test_a_long_home_pages_with_show_more_and_stays_under_100_blocks(store, clock, tmp_path):
    resources = "\n".join(f"  app{i:02d}:\n    entitlements:\n      user: {{target: t{i}}}" for i in range(60))
    catalog = ("defaults:\n  connector: mem\n  approval: [manager]\n  require_justification: false\n"
               f"resources:\n{resources}\n")
    with running_bot(store, clock, tmp_path, catalog=catalog) as big:
        for i in range(60):
            big.world.submit("alice@acme.test", f"app{i:02d}:user", justification=f"reason {i}")
        home = big.sim.open_home(DANA)
        assert "Waiting for your approval (60)" in home.visible_text
        assert home.visible_text.count("asks for") == 5 and "Show more (55 more)" in home.visible_text
        big.sim.click(DANA, on="home", action_id="home_show_more", block_id="more:approvals")
        big.fake.wait_until(lambda: big.fake.home(DANA).visible_text.count("asks for") == 15, what="15 shown")
        for _ in range(4):
            shown = big.fake.home(DANA)
            assert len(shown.blocks) <= 100
            big.sim.click(DANA, on="home", action_id="home_show_more", block_id="more:approvals")
            big.fake.wait_until(lambda: big.fake.home(DANA).hash != shown.hash, what="next page")
        last = big.fake.home(DANA)
        assert len(last.blocks) <= 100 and last.visible_text.count("asks for") < 60
        assert "Show more" in last.visible_text  # what does not fit stays one click away


def test_home_is_published_with_the_last_hash_and_redrawn_when_a_stale_publish_is_refused(bot):
    first = bot.sim.open_home(ALICE)
    [opened] = bot.fake.calls("views.publish", user_id=ALICE)
    assert "hash" not in opened.args  # nothing known yet: the first publish is unconditional
    since = bot.fake.last_seq
    again = bot.sim.open_home(ALICE)  # app_home_opened carries the view: its hash goes back with the publish
    assert bot.fake.wait_for_call("views.publish", after=since, user_id=ALICE).args["hash"] == first.hash
    assert again.hash != first.hash

    since = bot.fake.last_seq
    request_id = submit_via_form(bot, ALICE, "wiki editor", {})
    bot.settle()  # the notifier redraws her Home with the hash of the view it published last
    redraw = [c for c in bot.fake.calls("views.publish", user_id=ALICE) if c.seq > since]
    assert redraw and redraw[0].args["hash"] == again.hash and all(c.ok for c in redraw)

    # Another replica publishes her Home meanwhile: our next publish carries a hash Slack no longer has.
    bot.fake.expect_error("views.publish", "hash_conflict")
    elsewhere = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Drawn elsewhere"}}]}
    WebClient(token=bot.fake.bot_token, base_url=bot.fake.api_url).views_publish(user_id=ALICE, view=elsewhere)
    since = bot.fake.last_seq
    second = submit_via_form(bot, ALICE, "github member", {})
    bot.settle()
    after = [c for c in bot.fake.calls("views.publish", user_id=ALICE) if c.seq > since]
    assert [c.error for c in after][:2] == ["hash_conflict", None], [c.error for c in after]
    assert "hash" not in after[1].args  # rendered again from the database, published over the other one
    home = bot.fake.home(ALICE).visible_text
    assert "Drawn elsewhere" not in home and f"#{request_id} *Wiki editor*" in home
    assert bot.request(second).status == RequestStatus.APPROVED and "GitHub member" in home
