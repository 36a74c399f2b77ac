"""Campaigns end to end below the front ends: snapshot, assignment, decisions, deadline, report."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, Trigger
from bot.domain.errors import InvalidState, MissingJustification, NotAuthorized
from bot.ledger.context import Actor
from bot.operations import perform
from bot.reviews import decide as decisions
from bot.reviews import queries
from bot.reviews.start import start_campaign
from bot.reviews.timers import ReviewKind
from bot.store.models import AuditEvent, Grant, ReviewCampaignRun, ReviewItem
from bot.timers.service import TimerService
from tests.reviews.conftest import holding
from tests.support.deps import due_rows


def _start(deps, name, by="ivan@acme.test") -> int:
    def op(s, ctx):
        return start_campaign(s, ctx, name=name, by=directory.require(s, by)).id
    return perform(deps, Actor(by, Trigger.API), "review.start", op)


def _by_holder(world, campaign_id) -> dict[str, tuple[str, ReviewItem]]:
    with world.store.uow() as s:
        out = {}
        for item in s.scalars(select(ReviewItem).where(ReviewItem.campaign_id == campaign_id)):
            holder = s.get(directory.Person, item.holder_id).email
            reviewer = s.get(directory.Person, item.reviewer_id).email
            out[f"{holder} {item.entitlement}"] = (reviewer, item)
        return out


def _decide(deps, email, item_id, verdict, reason=""):
    def op(s, ctx):
        return decisions.decide(s, ctx, item_id=item_id, reviewer=directory.require(s, email), verdict=verdict,
                                reason=reason).status
    return perform(deps, Actor(email, Trigger.SLACK), "review.decide", op, subject=("review_item", item_id))


def test_owner_reviews_and_an_owner_holding_it_goes_to_their_manager(world, deps):
    holding(world, "alice@acme.test", "github:member", "wiki:editor")
    holding(world, "olga@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    items = _by_holder(world, campaign)
    assert set(items) == {"alice@acme.test github:member", "olga@acme.test github:member"}  # wiki: out of scope
    assert items["alice@acme.test github:member"][0] == "olga@acme.test"  # the owner
    assert items["olga@acme.test github:member"][0] == "erin@acme.test"  # never self-review: her manager
    item = items["alice@acme.test github:member"][1]
    assert item.granted_how == "request" and item.risk == "medium" and item.held_since is not None
    with world.store.uow() as s:
        run = s.get(ReviewCampaignRun, campaign)
        assert queries.progress(s, run).line().startswith("#1 github-owners (open): 0 of 2 reviewed")
    keys = {row.key for row in due_rows(world.store) if row.kind.startswith("review.")}
    assert keys == {f"{ReviewKind.DEADLINE}:{campaign}", f"{ReviewKind.REMIND}:{campaign}:0"}


def test_a_second_run_of_an_open_campaign_is_refused_and_audited(world, deps):
    _start(deps, "github-owners")
    with pytest.raises(InvalidState):
        _start(deps, "github-owners")
    with pytest.raises(NotAuthorized):
        _start(deps, "by-manager-keep", by="alice@acme.test")
    with world.store.uow() as s:
        refused = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action == "refused.review.start")))
    assert len(refused) == 2


def test_revoke_needs_a_reason_and_goes_through_the_ordinary_revoke_path(world, deps):
    [gid] = holding(world, "alice@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    item = _by_holder(world, campaign)["alice@acme.test github:member"][1]
    with pytest.raises(MissingJustification):
        _decide(deps, "olga@acme.test", item.id, "revoke")
    with pytest.raises(NotAuthorized):  # the manager is not this item's reviewer
        _decide(deps, "dana@acme.test", item.id, "keep")
    assert _decide(deps, "olga@acme.test", item.id, "revoke", "left the project") == "revoked"
    with pytest.raises(InvalidState):  # the double click
        _decide(deps, "olga@acme.test", item.id, "revoke", "left the project")
    assert world.holds("alice@acme.test", "gh-members")  # queued, not yet at the target
    world.run()
    assert not world.holds("alice@acme.test", "gh-members")
    [row] = _report(world, campaign)
    assert row["decision"] == "revoked" and row["revoke_status"] == GrantStatus.REVOKED
    assert row["revoke_confirmed_at"] and row["reason"] == "left the project" and row["reviewer"] == "olga@acme.test"
    with world.store.uow() as s:
        assert s.get(Grant, gid).status == GrantStatus.REVOKED
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("refused.review%"))))
    assert actions == ["refused.review.decide"] * 3


def _report(world, campaign):
    with world.store.uow() as s:
        return queries.report_rows(s, s.get(ReviewCampaignRun, campaign))


def test_keep_on_high_risk_needs_a_reason_and_keep_all_leaves_those(world, deps):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "bob@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    with world.store.uow() as s:  # make one item high risk, as a catalog change between runs could
        item = s.scalars(select(ReviewItem).order_by(ReviewItem.id)).first()
        item.risk = "high"
        high_id = item.id

    def keep_all(s, ctx):
        return decisions.keep_all(s, ctx, campaign_id=campaign, reviewer=directory.require(s, "olga@acme.test"))
    assert perform(deps, Actor("olga@acme.test", Trigger.SLACK), "review.keep_all", keep_all) == (1, 1)
    with pytest.raises(MissingJustification):
        _decide(deps, "olga@acme.test", high_id, "keep")
    assert _decide(deps, "olga@acme.test", high_id, "keep", "still on call") == "kept"
    assert [r["decided_how"] for r in _report(world, campaign)] == ["reviewer", "bulk"]


def test_reassign_never_to_the_holder(world, deps):
    holding(world, "alice@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    item = _by_holder(world, campaign)["alice@acme.test github:member"][1]

    def to(email):
        def op(s, ctx):
            return decisions.reassign(s, ctx, item_id=item.id, reviewer=directory.require(s, "olga@acme.test"),
                                      to=directory.require(s, email)).reviewer_id
        return perform(deps, Actor("olga@acme.test", Trigger.SLACK), "review.reassign", op)
    with pytest.raises(NotAuthorized):
        to("alice@acme.test")
    to("dana@acme.test")
    with pytest.raises(NotAuthorized):  # olga is no longer its reviewer
        _decide(deps, "olga@acme.test", item.id, "keep")
    assert _decide(deps, "dana@acme.test", item.id, "keep") == "kept"


def test_an_item_whose_grant_ended_closes_itself(world, deps):
    [gid] = holding(world, "alice@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    item = _by_holder(world, campaign)["alice@acme.test github:member"][1]
    world.advance(hours=5)  # past the 4h grant
    TimerService(deps).sweep_once()
    with world.store.uow() as s:
        assert s.get(Grant, gid).status == GrantStatus.EXPIRED
    assert _decide(deps, "olga@acme.test", item.id, "keep") == "closed"
    assert _report(world, campaign)[0]["decision"] == "closed"


def test_deadline_revokes_what_is_left_through_the_timers(world, deps):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "bob@acme.test", "github:member")
    with world.store.uow() as s:  # permanent, so the grants outlive the campaign
        for grant in s.scalars(select(Grant)):
            grant.ends_at = None
    campaign = _start(deps, "github-owners")
    first = _by_holder(world, campaign)["alice@acme.test github:member"][1]
    _decide(deps, "olga@acme.test", first.id, "keep")
    world.advance(days=7, minutes=1)
    TimerService(deps).sweep_once()  # the reminder
    world.advance(days=3)
    TimerService(deps).sweep_once()
    rows = {r["holder"]: r for r in _report(world, campaign)}
    assert rows["alice@acme.test"]["decision"] == "kept"
    assert rows["bob@acme.test"]["decision"] == "revoked" and rows["bob@acme.test"]["decided_how"] == "deadline"
    assert rows["bob@acme.test"]["revoke_status"] == GrantStatus.REVOKED
    assert world.holds("alice@acme.test", "gh-members") and not world.holds("bob@acme.test", "gh-members")
    with world.store.uow() as s:
        assert s.get(ReviewCampaignRun, campaign).status == "closed"
        reminded = s.scalar(select(AuditEvent).where(AuditEvent.action == "review.reminded"))
        assert reminded.detail == {"reviewers": 1}  # only olga still had something pending


def test_deadline_keep_and_escalate(world, deps):
    holding(world, "alice@acme.test", "erp:payments-create")
    with world.store.uow() as s:
        for grant in s.scalars(select(Grant)):
            grant.ends_at = None
    keep = _start(deps, "by-manager-keep")
    escalating = _start(deps, "escalating")
    assert _by_holder(world, escalating)["alice@acme.test erp:payments-create"][0] == "dana@acme.test"
    world.advance(days=7, minutes=1)
    TimerService(deps).sweep_once()
    assert _report(world, keep)[0]["decision"] == "kept"
    assert _by_holder(world, escalating)["alice@acme.test erp:payments-create"][0] == "ivan@acme.test"
    world.advance(days=2)
    TimerService(deps).sweep_once()
    assert _report(world, escalating)[0]["decision"] == "revoked"
    assert not world.holds("alice@acme.test", "erp-pay-create")


def test_cel_scope_and_the_next_quarterly_run(world, deps):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "bob@acme.test", "github:member")  # Sales: out of scope
    campaign = _start(deps, "engineering-quarterly")
    assert set(_by_holder(world, campaign)) == {"alice@acme.test github:member"}
    [nxt] = [row for row in due_rows(world.store) if row.kind == ReviewKind.START]
    assert nxt.ref_id == "engineering-quarterly" and nxt.due_at.day == 5 and nxt.due_at > world.clock.now()


def test_report_matches_the_audit_log(world, deps):
    holding(world, "alice@acme.test", "github:member")
    holding(world, "olga@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    items = _by_holder(world, campaign)
    _decide(deps, "olga@acme.test", items["alice@acme.test github:member"][1].id, "keep")
    _decide(deps, "erin@acme.test", items["olga@acme.test github:member"][1].id, "revoke", "no longer needed")
    rows = _report(world, campaign)
    with world.store.uow() as s:
        for row in rows:
            event = s.scalar(select(AuditEvent).where(AuditEvent.seq == row["audit_seq"]))
            assert event.action == "review.decided" and event.subject_id == str(row["item_id"])
            assert event.detail["decision"] == row["decision"] and event.detail["reason"] == row["reason"]
            assert event.actor == row["reviewer"]


def test_a_campaign_closed_in_the_period_is_in_the_evidence_pack_with_its_audit_seq(world, deps, tmp_path):
    from bot.reporting.evidence import write_pack
    from bot.reporting.figures import Period
    from bot.reviews import admin

    since = world.clock.now() - timedelta(minutes=1)
    holding(world, "alice@acme.test", "github:member")
    campaign = _start(deps, "github-owners")
    item = _by_holder(world, campaign)["alice@acme.test github:member"][1]
    _decide(deps, "olga@acme.test", item.id, "revoke", "left the project")
    world.run()
    perform(deps, Actor("ivan@acme.test", Trigger.API), "review.close",
            lambda s, ctx: admin.close(s, ctx, ref=str(campaign), by=directory.require(s, "ivan@acme.test")))
    world.advance(minutes=1)
    period = Period(since, world.clock.now())

    def pack(out):
        with world.store.uow() as s:
            write_pack(s, deps.catalog, period, out)
        return (out / "review-campaigns.jsonl").read_bytes()

    first = pack(tmp_path / "one")
    [line] = [json.loads(row) for row in first.decode().splitlines()]
    assert (line["campaign"], line["holder"], line["decision"], line["reason"]) == (
        "github-owners", "alice@acme.test", "revoked", "left the project")
    with world.store.uow() as s:
        decided = s.scalar(select(AuditEvent.seq).where(AuditEvent.action == "review.decided",
                                                        AuditEvent.subject_id == str(item.id)))
    assert line["audit_seq"] == decided and line["revoke_confirmed_at"]
    assert pack(tmp_path / "two") == first  # the same period, the same file
    earlier = Period(since - timedelta(days=2), since)  # closed after that period: not in it
    with world.store.uow() as s:
        write_pack(s, deps.catalog, earlier, tmp_path / "three")
    assert (tmp_path / "three" / "review-campaigns.jsonl").read_bytes() == b""
