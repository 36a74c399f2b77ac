"""One renderer for every state of a request card, valid Block Kit in each."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.enums import GrantStatus, RequestStatus
from bot.slack.readmodels.request import EntitlementInfo, GrantInfo, HeldGrant, PersonInfo, RequestCard, StepInfo, Vote
from bot.slack.views.request_card import Audience, Viewer, render_request_card
from tests.slack.harness import action_ids
from tests.support import blockkit

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
ALICE = PersonInfo(1, "Alice", "alice@acme.test", "U0ALICE001", "Engineer", "Engineering")
DANA = PersonInfo(2, "Dana", "dana@acme.test", "U0DANA0001", "Engineering Manager", "Engineering")
OLGA = PersonInfo(3, "Olga", "olga@acme.test", None)


def card(status=RequestStatus.PENDING, *, risk="high", steps=None, **changes) -> RequestCard:
    steps = steps or (StepInfo(0, "Manager", 1, "active", (DANA,), None, ()),
                      StepInfo(1, "Owners", 1, "waiting", (OLGA,), None, ()))
    base = dict(id=7, status=status, entitlement=EntitlementInfo("github:admin", "GitHub admin", "github", risk),
                duration=timedelta(hours=4), starts_at=None, justification="release <!channel>", ticket="INC-1",
                created_at=NOW, expires_at=NOW + timedelta(days=2), decided_at=None, decision_reason="",
                auto_approved=False, extends_grant_id=None, requester=ALICE, decided_by=None, steps=steps,
                held=(HeldGrant("github:member", "GitHub member", "active", NOW + timedelta(hours=2)),), grant=None)
    base.update(changes)
    return RequestCard(**base)


def valid(rendered) -> None:
    assert rendered.text and blockkit.message_errors(rendered.blocks, rendered.text) == []


def test_a_pending_card_gives_the_current_approver_approve_with_a_confirmation_and_deny():
    rendered = render_request_card(card(), Viewer(Audience.APPROVER, DANA.id))
    valid(rendered)
    assert action_ids(rendered.blocks) == ["approve", "deny"]
    approve = rendered.blocks[-2]["elements"][0]
    assert approve["confirm"]["confirm"]["text"] == "Approve" and approve["value"] == '{"v":1,"request_id":7}'
    text = str(rendered.blocks)
    for shown in ("<@U0ALICE001>", "Engineer · Engineering", "4 hours", "INC-1", "🟠 high", "GitHub member",
                  "Step 1 of 2", "0 of 1 approval", "&lt;!channel&gt;"):
        assert shown in text, shown


def test_low_risk_needs_no_confirmation_and_others_see_no_buttons():
    low = render_request_card(card(risk="low"), Viewer(Audience.APPROVER, DANA.id))
    assert "confirm" not in low.blocks[-2]["elements"][0]
    later = render_request_card(card(), Viewer(Audience.APPROVER, OLGA.id))  # step 2 is not active yet
    assert action_ids(later.blocks) == [] and "nothing for you to do" in str(later.blocks)
    mine = render_request_card(card(), Viewer(Audience.REQUESTER, ALICE.id))
    assert action_ids(mine.blocks) == ["cancel_request"] and "Already holds" not in str(mine.blocks)
    channel = render_request_card(card(), Viewer(Audience.CHANNEL))
    assert action_ids(channel.blocks) == ["approve", "deny"]


@pytest.mark.parametrize(("status", "changes", "expected"), [
    (RequestStatus.APPROVED, {"decided_by": DANA, "decided_at": NOW}, "✅ Approved by <@U0DANA0001>"),
    (RequestStatus.APPROVED, {"auto_approved": True, "decided_at": NOW}, "Approved automatically by policy"),
    (RequestStatus.DENIED, {"decided_by": DANA, "decided_at": NOW, "decision_reason": "no <@U1>"},
     "❌ Denied by <@U0DANA0001>"),
    (RequestStatus.CANCELLED, {"decided_at": NOW}, "🚫 Cancelled"),
    (RequestStatus.SUPERSEDED, {"decided_at": NOW}, "Replaced by a newer request"),
    (RequestStatus.TIMED_OUT, {"decided_at": NOW}, "⌛ Expired: nobody decided in time"),
])
def test_every_final_state_replaces_the_buttons_with_the_outcome(status, changes, expected):
    for viewer in (Viewer(Audience.APPROVER, DANA.id), Viewer(Audience.CHANNEL), Viewer(Audience.REQUESTER, 1)):
        rendered = render_request_card(card(status, **changes), viewer)
        valid(rendered)
        assert action_ids(rendered.blocks) == [] and expected in str(rendered.blocks)
    assert "&lt;@U1&gt;" in str(render_request_card(card(RequestStatus.DENIED, **{
        "decided_by": DANA, "decision_reason": "no <@U1>"}), Viewer(Audience.CHANNEL)).blocks)


@pytest.mark.parametrize(("grant_status", "expected"), [
    (GrantStatus.PROVISIONING, "Setting up access"), (GrantStatus.ACTIVE, "Access active until"),
    (GrantStatus.EXPIRED, "Access expired"), (GrantStatus.REVOKED, "Access removed"),
    (GrantStatus.FAILED, "could not be set up"), (GrantStatus.REVOKE_FAILED, "could not be removed"),
])
def test_an_approved_card_follows_its_grant(grant_status, expected):
    grant = GrantInfo(3, grant_status, NOW, NOW + timedelta(hours=4), None)
    rendered = render_request_card(card(RequestStatus.APPROVED, decided_by=DANA, grant=grant), Viewer(Audience.CHANNEL))
    valid(rendered)
    assert expected in str(rendered.blocks)


def test_votes_and_quorum_progress_are_shown():
    vote = Vote(DANA, "approve", "", NOW)
    steps = (StepInfo(0, "SRE", 2, "active", (DANA, OLGA), "C0APPROVAL", (vote,)),)
    rendered = render_request_card(card(steps=steps), Viewer(Audience.APPROVER, DANA.id))
    text = str(rendered.blocks)
    assert "1 of 2 approvals" in text and "✔ <@U0DANA0001> approved step 1" in text and "<#C0APPROVAL>" in text
    assert action_ids(rendered.blocks) == []  # Dana already voted
    assert action_ids(render_request_card(card(steps=steps), Viewer(Audience.APPROVER, OLGA.id)).blocks) == [
        "approve", "deny"]


def test_a_very_long_justification_is_cut_to_fit_slack():
    rendered = render_request_card(card(justification="x" * 10_000), Viewer(Audience.CHANNEL))
    valid(rendered)
