"""The IT renderers stay inside Slack's limits at any size, and offer buttons only while they mean
something (checked with the offline Block Kit validator the fake Slack uses)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from bot.domain.enums import EndReason, GrantStatus
from bot.offboarding.plan import OffboardPlan, PlannedStep
from bot.offboarding.report import Item, OffboardReport, SystemResult
from bot.slack.readmodels.expiry import ExpiryView
from bot.slack.readmodels.grant import GrantView
from bot.slack.readmodels.offboarding import OffboardingView
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo
from bot.slack.readmodels.task import TaskView
from bot.slack.views.expiry_notice import render_expiry_warning
from bot.slack.views.offboard_modal import render_plan
from bot.slack.views.offboard_report import render_offboard_report
from bot.slack.views.task_card import render_cannot_modal, render_task_card
from tests.slack.harness import action_ids
from tests.support.blockkit import message_errors, view_errors

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
ALICE = PersonInfo(1, "Alice <script>", "alice@acme.test", "U0ALICE001", "Engineer", "Engineering")
WIKI = EntitlementInfo("wiki:editor", "Wiki editor", "wiki", "low")


def _report(systems: int, items: int, status: str = "partial") -> OffboardingView:
    results = [SystemResult(f"system-{n:02d}", "failed", [
        Item(f"a{n}-{i}", "revoke", f"remove app-{i}:role", "failed" if i == 0 else "ok",
             "invalid_request: " + "x" * 400 if i == 0 else "done", 1) for i in range(items)])
        for n in range(systems)]
    report = OffboardReport(7, "alice@acme.test", status, "left", "ivan@acme.test", None, NOW, None, results,
                            [1, 2], [3], ["gh"], [])
    return OffboardingView(report, ALICE, None)


def test_a_huge_offboarding_report_fits_one_message_and_offers_retry_for_failures():
    rendered = render_offboard_report(_report(systems=60, items=12))
    assert message_errors(rendered.blocks, rendered.text) == []
    assert action_ids(rendered.blocks) == ["retry_offboarding"]
    assert "system-59" in str(rendered.blocks)  # the systems beyond one section each are still named
    scheduled = render_offboard_report(_report(systems=2, items=2, status="scheduled"))
    assert action_ids(scheduled.blocks) == ["cancel_offboarding"]  # failures of an earlier run are not retried now
    assert action_ids(render_offboard_report(_report(systems=2, items=2, status="cancelled")).blocks) == []


def test_a_huge_report_waiting_for_a_second_admin_still_fits_with_its_trail():
    view = _report(systems=60, items=12, status="unconfirmed")
    trail = {"asked_by": "ivan@acme.test", "privileged": [f"app-{i}:admin" for i in range(80)], "rule": "privileged"}
    view = OffboardingView(replace(view.report, confirmation=trail, cancelled={"by": "kim@acme.test", "reason": "x" * 900}),
                           ALICE, None)
    rendered = render_offboard_report(view)
    assert message_errors(rendered.blocks, rendered.text) == []
    assert action_ids(rendered.blocks) == ["confirm_offboarding", "cancel_offboarding"]
    assert "A *different* IT admin must confirm it" in str(rendered.blocks)


def test_a_huge_plan_fits_one_modal():
    steps = [PlannedStep(f"system-{n:03d}", "revoke", f"remove app-{i}:role", (i,), problem="no account" if i else None)
             for n in range(150) for i in range(60)]
    plan = OffboardPlan("alice@acme.test", "Alice", "active", steps, [(1, "a:b")] * 40, [(2, "Manager")] * 40,
                        ["x"], ["okta:admin"], None, [])
    view = render_plan(plan, who="<@U0ALICE001>", when=None, meta='{"v":1,"person_id":1}')
    assert view_errors(view) == []
    held = replace(plan, second_confirmation=True, second_confirmation_why="they hold " + "x" * 4000, awaiting=(4, "kim"))
    four_eyes = render_plan(held, who="<@U0ALICE001>", when=None, meta='{"v":1,"person_id":1}', break_glass=True)
    assert view_errors(four_eyes) == [] and four_eyes["submit"]["text"] == "Ask to offboard"
    assert any(b.get("block_id") == "offboard_break_glass" for b in four_eyes["blocks"])


def test_task_cards_in_every_state_and_the_reason_form():
    base = dict(id=3, kind="grant", connector="desk", entitlement=WIKI, person=ALICE,
                instructions="Click <here> & there\n" + "y" * 5000, why="Request #9: <@channel> please",
                request_id=9, channel="C0DESK0001", created_at=NOW, reposts=2, completed_at=NOW, note="no licence")
    for status, buttons in (("open", ["task_done", "task_cannot"]), ("done", []), ("cannot", [])):
        card = render_task_card(TaskView(status=status, completed_by=ALICE if status != "open" else None, **base))
        assert message_errors(card.blocks, card.text) == [] and action_ids(card.blocks) == buttons
        assert "<here>" not in str(card.blocks) and "<@channel>" not in str(card.blocks)
    assert view_errors(render_cannot_modal(TaskView(status="open", completed_by=None, **base))) == []


def test_expiry_warnings_in_every_state():
    ends = NOW + timedelta(hours=1)

    def view(status, ends_at=ends, reason=None, choices=(timedelta(hours=1),), pending=None):
        grant = GrantView(5, ALICE, WIKI, status, NOW, ends_at, reason, None, 9, None)
        return ExpiryView(grant, None, choices, pending)

    cases = [(view(GrantStatus.ACTIVE), ["extend_grant", "relinquish_grant"]),
             (view(GrantStatus.ACTIVE, choices=()), ["relinquish_grant"]),
             (view(GrantStatus.ACTIVE, pending=12), ["relinquish_grant"]),
             (view(GrantStatus.ACTIVE, ends_at=ends + timedelta(hours=1)), []),
             (view(GrantStatus.ACTIVE, ends_at=None), []),
             (view(GrantStatus.REVOKING), []),
             (view(GrantStatus.EXPIRED, reason=EndReason.EXPIRED), []),
             (view(GrantStatus.REVOKED, reason=EndReason.RELINQUISHED), [])]
    for model, buttons in cases:
        shown = render_expiry_warning(model, ends, NOW)
        assert message_errors(shown.blocks, shown.text) == [] and action_ids(shown.blocks) == buttons
