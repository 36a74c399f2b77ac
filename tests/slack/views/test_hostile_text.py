"""Every view and notice, rendered with names, titles, reasons and catalog labels that try to broadcast,
mention, link and format: nothing of it is live in a message's `text` (what notifications show) or in
any mrkdwn the blocks hold. The table must list every renderer in bot/slack/views, so a new one
cannot skip this test."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from datetime import datetime, timedelta, timezone

import pytest

import bot.slack.views as views_package
from bot.domain.enums import ActionStatus, EndReason, GrantStatus, RequestStatus
from bot.offboarding.plan import OffboardPlan, PlannedStep
from bot.offboarding.report import Item, OffboardReport, SystemResult
from bot.slack.readmodels.alert import RevokeAlert
from bot.slack.readmodels.break_glass import BreakGlassView
from bot.slack.readmodels.expiry import ExpiryView
from bot.slack.readmodels.grant import GrantView
from bot.slack.readmodels.home import HomeApproval, HomeGrant, HomeModel, HomeRequest
from bot.slack.readmodels.offboarding import OffboardingView
from bot.slack.readmodels.person_grants import HeldLine, PersonGrants
from bot.slack.readmodels.request import (
    EntitlementInfo,
    GrantInfo,
    HeldGrant,
    PersonInfo,
    RequestCard,
    StepInfo,
    Vote,
)
from bot.slack.readmodels.task import TaskView
from bot.slack.views import alert, break_glass, deny_modal, expiry_notice, extend_modal, home, lifecycle_notes, notices
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views import offboard_modal, offboard_report, person_grants, reminders, request_card, request_modal
from bot.slack.views import review, task_card
from bot.slack.views import usage as usage_views
from bot.usage.queries import AskView
from bot.slack.readmodels.review import CampaignView, HomeReview, ReviewPage, ReviewRow
from bot.slack.review_refs import KeepAllForm, ReviewReasonForm
from bot.slack.views.request_card import Audience, Viewer

HOSTILE = "<!channel> <@U123> <https://evil.example|x> &amp; *bold* @here"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
LINKED = "U0DANA0001"  # the one Slack id we looked up: its mention is ours and may be live
EVIL = PersonInfo(66, HOSTILE, "evil+<!here>@acme.test", None, HOSTILE, HOSTILE)
DANA = PersonInfo(2, HOSTILE, "dana@acme.test", LINKED, HOSTILE, HOSTILE)
ENT = EntitlementInfo(f"evil:{HOSTILE}", HOSTILE, HOSTILE, HOSTILE, HOSTILE)
STEP = StepInfo(0, HOSTILE, 2, "active", (EVIL, DANA), "C0APPROVAL", (Vote(DANA, "approve", HOSTILE, NOW),))

# Our own markup: a mention of the id we looked up, a date, a channel. Anything else in <...> is live.
OURS = re.compile(rf"^<@{LINKED}>$|^<!date\^\d+\^[^|>]*\|[^<>]*>$|^<#C[A-Z0-9]+>$")
LIVE = re.compile(r"<[^<>]*>")
BARE_BROADCAST = re.compile(r"(?<![\w\u2060])@(here|channel|everyone)\b")


def card(status=RequestStatus.PENDING, **changes) -> RequestCard:
    base = dict(id=7, status=status, entitlement=ENT, duration=timedelta(hours=4), starts_at=NOW,
                justification=HOSTILE, ticket=HOSTILE, created_at=NOW, expires_at=NOW + timedelta(days=1),
                decided_at=NOW, decision_reason=HOSTILE, auto_approved=False, extends_grant_id=None, requester=EVIL,
                decided_by=EVIL, steps=(STEP,), held=(HeldGrant(HOSTILE, HOSTILE, "active", NOW),),
                grant=GrantInfo(3, GrantStatus.ACTIVE, NOW, NOW + timedelta(hours=4), HOSTILE),
                on_call_fallback=HOSTILE)
    base.update(changes)
    return RequestCard(**base)


def grant(status=GrantStatus.ACTIVE, reason=None) -> GrantView:
    return GrantView(3, EVIL, ENT, status, NOW, NOW + timedelta(hours=1), reason, EVIL, 7, HOSTILE)


def task(status="open") -> TaskView:
    return TaskView(4, status, "grant", HOSTILE, ENT, EVIL, HOSTILE, HOSTILE, 7, "C0DESK0001", NOW, 1,
                    EVIL if status != "open" else None, NOW, HOSTILE)


def revoke_alert(status=GrantStatus.REVOKE_FAILED) -> RevokeAlert:
    return RevokeAlert(3, EVIL, ENT, HOSTILE, status, HOSTILE, NOW, "a1", ActionStatus.FAILED_RETRYABLE, 3, HOSTILE,
                       NOW, None)


def report(status) -> OffboardingView:
    items = [Item("a1", "revoke", HOSTILE, "failed", HOSTILE, 1), Item("a2", "revoke", HOSTILE, "ok", "done", 1)]
    systems = [SystemResult(HOSTILE, "failed", items)] + [SystemResult(f"{HOSTILE}{n}", "ok", []) for n in range(45)]
    return OffboardingView(OffboardReport(5, HOSTILE, status, HOSTILE, HOSTILE, NOW, NOW, NOW, systems, [1], [2],
                                          [HOSTILE], [3], confirmation={"asked_by": HOSTILE, "privileged": [HOSTILE],
                                                                        "rule": HOSTILE, "break_glass": True,
                                                                        "reason": HOSTILE, "confirmed_by": HOSTILE},
                                          cancelled={"by": HOSTILE, "reason": HOSTILE, "at": NOW.isoformat()}),
                           EVIL, EVIL, {HOSTILE: EVIL})


def plan() -> OffboardPlan:
    return OffboardPlan(HOSTILE, HOSTILE, "leaver", [PlannedStep(HOSTILE, "revoke", HOSTILE, (1,), (HOSTILE,), HOSTILE),
                                                     PlannedStep(HOSTILE, "suspend", HOSTILE)],
                        [(1, HOSTILE)], [(2, HOSTILE)], [HOSTILE], [HOSTILE], NOW, True, HOSTILE, (5, HOSTILE),
                        [HOSTILE])


def home_model() -> HomeModel:
    return HomeModel(EVIL, (HomeGrant(3, ENT, "active", NOW, NOW + timedelta(hours=2), (timedelta(hours=1),)),),
                     (HomeRequest(7, ENT, timedelta(hours=4), NOW, HOSTILE),),
                     (HomeApproval(8, EVIL, ENT, timedelta(hours=4), HOSTILE, HOSTILE, NOW),),
                     reviews=(HomeReview(1, HOSTILE, 1, 3, NOW),))


def form_choice() -> request_modal.FormChoice:
    return request_modal.FormChoice(ENT.ref, HOSTILE, HOSTILE, "critical", (timedelta(hours=1), None),
                                    timedelta(hours=1), True, True, HOSTILE, (HOSTILE,), True)


def break_glass_use(verdict: str = "", ended: bool = False) -> BreakGlassView:
    return BreakGlassView(9, EVIL, ENT.ref, HOSTILE, HOSTILE, HOSTILE, NOW, NOW + timedelta(hours=1), ended,
                          NOW + timedelta(days=1), (EVIL, DANA), verdict, DANA if verdict else None, HOSTILE, 1)


BREAK_GLASS_USES = [break_glass_use(), break_glass_use(ended=True), break_glass_use("justified", True),
                    break_glass_use("not_justified", True)]


ESCAPED = md.escape(HOSTILE)  # what a caller hands the renderers that take mrkdwn it composed
RENDERERS = {
    alert.render_revoke_alert: lambda: [revoke_alert(), revoke_alert(GrantStatus.REVOKED)],
    alert.render_still_failing: lambda: [revoke_alert()],
    break_glass.render_break_glass_form: lambda: [((HOSTILE,), {
        "meta": "{}", "choices": (timedelta(hours=1),), "uses_left": 1, "budget": HOSTILE, "told": (HOSTILE,),
        "reviewers": (HOSTILE,), "review_within": timedelta(days=1), "require_ticket": True,
        "ticket_pattern": HOSTILE})],
    break_glass.render_break_glass_refused: lambda: [(HOSTILE, HOSTILE)],
    break_glass.render_break_glass_done: lambda: BREAK_GLASS_USES[:1],
    break_glass.render_break_glass_channel: lambda: BREAK_GLASS_USES,
    break_glass.render_break_glass_told: lambda: BREAK_GLASS_USES[:1],
    break_glass.render_break_glass_review: lambda: BREAK_GLASS_USES,
    break_glass.render_break_glass_escalation: lambda: BREAK_GLASS_USES[2:],
    break_glass.render_review_reason_modal: lambda: [("{}", "justified"), ("{}", "not_justified")],
    deny_modal.render_deny_modal: lambda: [7],
    expiry_notice.render_expiry_warning: lambda: [
        (ExpiryView(grant(), None, (timedelta(hours=1),), None), NOW + timedelta(hours=1), NOW),
        (ExpiryView(grant(GrantStatus.REVOKED, EndReason.REVOKED), None, (), None), NOW, NOW),
        (ExpiryView(grant(GrantStatus.EXPIRED, EndReason.EXPIRED), None, (), 9), NOW, NOW)],
    extend_modal.render_extend_modal: lambda: [(3, HOSTILE, (timedelta(hours=1),), ESCAPED)],
    home.render_home: lambda: [(home_model(), NOW)],
    home.render_unknown_home: lambda: [ESCAPED],
    lifecycle_notes.render_access_ending: lambda: [([(HOSTILE, NOW)],), ([(HOSTILE, NOW)], EVIL)],
    lifecycle_notes.render_it_note: lambda: [
        (kind, {"entitlement": HOSTILE, "reason": HOSTILE, "event_id": HOSTILE, "request_id": HOSTILE,
                "step_label": HOSTILE, "error": HOSTILE, "person_email": HOSTILE, "connector": HOSTILE,
                "detail": HOSTILE, "at": HOSTILE, "reactivate_at": HOSTILE, "systems": [HOSTILE],
                "left_suspended": [{"system": HOSTILE, "reason": HOSTILE}]}, HOSTILE)
        for kind in ("birthright.skipped", "lifecycle.rejected", "request.reroute_failed",
                     *lifecycle_notes.REHIRE_NOTES)],
    notices.request_approved: lambda: [card(RequestStatus.APPROVED), card(RequestStatus.APPROVED, auto_approved=True)],
    notices.request_denied: lambda: [card(RequestStatus.DENIED)],
    notices.request_timed_out: lambda: [card(RequestStatus.TIMED_OUT)],
    notices.grant_activated: lambda: [grant()],
    notices.grant_failed: lambda: [grant(GrantStatus.FAILED)],
    notices.grant_ended: lambda: [grant(GrantStatus.REVOKED, r) for r in (EndReason.EXPIRED, EndReason.REVOKED)],
    offboard_modal.render_loading: lambda: [md.person(HOSTILE, None)],
    offboard_modal.render_plan: lambda: [((plan(),), {"who": md.person(HOSTILE, None), "when": md.date(NOW),
                                                      "meta": "{}", "break_glass": True})],
    offboard_modal.render_notice: lambda: [ESCAPED],
    offboard_modal.render_submitted: lambda: [((ESCAPED,), {"offboarding_id": 5})],
    offboard_report.render_offboard_report: lambda: [report(s) for s in offboard_report.HEADLINES],
    person_grants.render_person_grants: lambda: [
        (PersonGrants(EVIL, "leaver", (HeldLine(3, ENT, HOSTILE, "active", NOW, NOW, HOSTILE, None),
                                       HeldLine(4, ENT, HOSTILE, "scheduled", NOW, None, HOSTILE, 7)), 2), NOW),
        (PersonGrants(EVIL, "active", (), 0), NOW)],
    person_grants.render_revoking: lambda: [(HOSTILE, "U123|<!channel>", [3])],
    person_grants.render_pushed: lambda: [(HOSTILE, HOSTILE, HOSTILE, 7, 3)],
    reminders.render_channel_reminder: lambda: [(card(), [EVIL, DANA])],
    reminders.render_dm_reminder: lambda: [card()],
    reminders.render_new_approvers: lambda: [(card(), [EVIL, DANA])],
    reminders.render_step_ping: lambda: [(card(), STEP)],
    request_card.render_request_card: lambda: [
        (card(status), Viewer(audience, DANA.id)) for audience in Audience
        for status in (RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.DENIED, RequestStatus.CANCELLED)],
    request_modal.render_request_modal: lambda: [((form_choice(),), {"meta": "{}"}), ((None,), {"meta": "{}"})],
    request_modal.render_submitted_modal: lambda: [ESCAPED],
    task_card.render_task_card: lambda: [task(s) for s in ("open", "done", "cannot")],
    task_card.render_cannot_modal: lambda: [task()],
    task_card.render_task_escalation: lambda: [(task(), md.people([EVIL, DANA]))],
    task_card.render_task_refused: lambda: [task("cannot")],
    review.render_review_dm: lambda: [(review_campaign(), 1, 3)],
    review.render_review_modal: lambda: [review_page("pending"), review_page("revoked")],
    review.render_reason_modal: lambda: [(ReviewReasonForm(item_id=1, verdict="revoke", parent_view_id="V1",
                                                           campaign_id=1), md.escape(HOSTILE))],
    review.render_keep_all_modal: lambda: [(KeepAllForm(campaign_id=1, parent_view_id="V1"), 3)],
    review.render_campaign_message: lambda: [review_campaign()],
    review.render_revoked_notice: lambda: [(HOSTILE, HOSTILE, HOSTILE)],
    usage_views.render_usage_ask: lambda: [AskView(1, status, HOSTILE, HOSTILE, None, holder, 2, NOW, HOSTILE, NOW,
                                                   "release", 15000, "USD", HOSTILE, "holder")
                                           for status in ("open", "released") for holder in (True, False)]
    + [((AskView(1, "open", HOSTILE, HOSTILE, None, False, 2, NOW, HOSTILE, NOW, "ask_owner", None, None, "", None),),
        {"reader_id": 1})],
    usage_views.render_keep_modal: lambda: [(1, HOSTILE)],
}


def review_campaign() -> CampaignView:
    return CampaignView(1, HOSTILE, "open", NOW, 1, 3, {"pending": 2, HOSTILE: 1})


def review_page(status: str) -> ReviewPage:
    row = ReviewRow(1, status, HOSTILE, None, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, NOW, HOSTILE, HOSTILE,
                    NOW, None, 1, 2, HOSTILE)
    return ReviewPage(1, HOSTILE, True, NOW, 0, 1, 0, 2, (row,))


def renderers_in_views() -> set:
    """Every public function of bot/slack/views that returns a message (Rendered) or a view."""
    found = set()
    for info in pkgutil.iter_modules(views_package.__path__):
        if info.name in ("common", "mrkdwn", "format"):
            continue  # the building blocks and phrases the renderers use
        module = importlib.import_module(f"bot.slack.views.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            returns = str(inspect.signature(fn).return_annotation)
            if fn.__module__ == module.__name__ and not name.startswith("_") and (
                    name.startswith("render_") or "Rendered" in returns):
                found.add(fn)
    return found


def test_the_table_covers_every_view_and_notice_renderer():
    missing = {f"{fn.__module__}.{fn.__name__}" for fn in renderers_in_views() - set(RENDERERS)}
    assert not missing, f"render these with hostile text below: {sorted(missing)}"


def mrkdwn_texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def problems(text: str) -> list[str]:
    found = [token for token in LIVE.findall(text) if not OURS.match(token)]
    found += [m.group(0) for m in BARE_BROADCAST.finditer(text)]
    if "&amp; *bold*" in text:  # the name's own "&amp;" shown unescaped: Slack would display "&"
        found.append("&amp; unescaped")
    return found


def calls(fn):
    for sample in RENDERERS[fn]():
        if isinstance(sample, tuple) and len(sample) == 2 and isinstance(sample[1], dict) and \
                isinstance(sample[0], tuple):
            yield fn(*sample[0], **sample[1])
        elif isinstance(sample, tuple):
            yield fn(*sample)
        else:
            yield fn(sample)


@pytest.mark.parametrize("fn", list(RENDERERS), ids=lambda fn: f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}")
def test_hostile_text_is_never_live(fn):
    for shown in calls(fn):
        texts = [shown.text] if isinstance(shown, ui.Rendered) else []
        texts += mrkdwn_texts(shown.blocks if isinstance(shown, ui.Rendered) else shown)
        assert texts or fn is deny_modal.render_deny_modal  # the deny form shows nobody's text
        for text in texts:
            assert problems(text) == [], text


def test_the_notification_line_cannot_be_a_plain_string():
    with pytest.raises(TypeError, match="md.compose"):
        ui.Rendered(f"Access request from {HOSTILE}", [])
    line = md.compose("Access request from {who} ({when})", who=HOSTILE, when=md.date(NOW))
    assert problems(line) == [] and "&lt;!channel&gt;" in line and "<!date^" in line
    assert md.first_line("*Hi* there\nmore") == "Hi there"
    # The check itself sees what the unescaped text would do.
    assert problems(f"from {HOSTILE}") == ["<!channel>", "<@U123>", "<https://evil.example|x>", "@here",
                                           "&amp; unescaped"]
