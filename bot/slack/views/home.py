"""The App Home tab: request access, your access (Extend / Relinquish), your pending requests (Cancel),
and requests waiting for your approval (Approve / Deny). Never more than Slack's 100 blocks: long
sections show the first rows and a "Show more" button."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.views import View

from bot.domain.enums import GrantStatus
from bot.slack.ids import Action
from bot.slack.metadata import GrantRef, HomePage, RequestRef
from bot.slack.readmodels.home import SECTIONS, HomeApproval, HomeGrant, HomeModel, HomeRequest
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import duration_text, person_line, time_left
from bot.slack.views.request_card import decision_buttons
from bot.slack.views.review import review_row

MAX_BLOCKS = 100
MORE_STEP = 10
STATUS_BADGES = {
    GrantStatus.SCHEDULED: "🗓 scheduled", GrantStatus.PROVISIONING: "⏳ being set up", GrantStatus.ACTIVE: "🔓 active",
    GrantStatus.REVOKING: "⏳ being removed", GrantStatus.REVOKE_FAILED: "⚠️ removal failed, IT is on it",
}


ROW_BLOCKS = {"grants": 2, "requests": 1, "approvals": 2}  # blocks per row (at most)
FIXED_BLOCKS = 3  # header, intro, footer


def render_home(model: HomeModel, now: datetime) -> dict:
    return View(type="home", blocks=_blocks(model, now, fit(model))).to_dict()


def fit(model: HomeModel) -> dict[str, int]:
    """Rows to show per section so the whole Home stays within Slack's 100 blocks."""
    shown = {section: min(model.limit(section), len(getattr(model, section))) for section in SECTIONS}

    def size() -> int:
        total = FIXED_BLOCKS + len(model.reviews)
        for section in SECTIONS:
            items = len(getattr(model, section))
            total += 2 + (1 if not items else 0) + (1 if items > shown[section] else 0)
            total += shown[section] * ROW_BLOCKS[section]
        return total

    while size() > MAX_BLOCKS:
        widest = max(SECTIONS, key=lambda section: shown[section] * ROW_BLOCKS[section])
        shown[widest] -= 1
    return shown


def render_unknown_home(problem: str) -> dict:
    return View(type="home", blocks=[ui.header("accessbot"), ui.section(f"⚠️ {md.escape(problem)}")]).to_dict()


def _blocks(model: HomeModel, now: datetime, limits: dict[str, int]) -> list[dict]:
    intro = (f"Hi {md.person(model.person.name, model.person.slack_user_id)}! Ask for the access you need; "
             "temporary access ends by itself when its time is up.")
    blocks = [ui.header("accessbot"),
              ui.section(intro, accessory=ui.button("Request access", Action.OPEN_REQUEST_MODAL, style="primary"))]
    blocks += [review_row(review) for review in model.reviews]
    blocks += _section(model, "grants", "Your access", limits, lambda g: _grant_row(g, now),
                       "You have no access through accessbot right now.")
    blocks += _section(model, "requests", "Your pending requests", limits, _request_row, "Nothing pending.")
    blocks += _section(model, "approvals", "Waiting for your approval", limits, _approval_row,
                       "Nothing waits for your approval. 🎉")
    blocks.append(ui.context(f"Updated {md.date(now, '{date_short_pretty} {time}')}"))
    return blocks


def _section(model: HomeModel, name: str, title: str, limits: dict[str, int], row, empty: str) -> list[dict]:
    items = getattr(model, name)
    blocks = [ui.divider(), ui.header(f"{title} ({len(items)})" if items else title)]
    if not items:
        return blocks + [ui.context(empty)]
    shown = items[: limits[name]]
    for item in shown:
        blocks += row(item)
    if len(items) > len(shown):
        more = HomePage(section=name, limit=len(shown) + MORE_STEP).dump()
        blocks.append(ui.actions(ui.button(f"Show more ({len(items) - len(shown)} more)", Action.HOME_SHOW_MORE,
                                           more), block_id=f"more:{name}"))
    return blocks


def _grant_row(grant: HomeGrant, now: datetime) -> list[dict]:
    status = STATUS_BADGES.get(grant.status, grant.status)
    when = (f" · {time_left(grant.ends_at, now)} (until {md.date(grant.ends_at)})" if grant.ends_at
            else " · permanent")
    if grant.status == GrantStatus.SCHEDULED:
        when = f" · starts {md.date(grant.starts_at)}"
    text = f"*{md.escape(grant.entitlement.label)}* · {status}{when}"
    buttons = []
    value = GrantRef(grant_id=grant.id).dump()
    if grant.extend_choices:
        buttons.append(ui.button("Extend", Action.EXTEND_GRANT, value))
    if grant.status in (GrantStatus.ACTIVE, GrantStatus.SCHEDULED):
        buttons.append(ui.button("Relinquish", Action.RELINQUISH_GRANT, value, confirm_with=ui.confirm(
            "Give up this access?", f"*{md.escape(grant.entitlement.label)}* is removed now. You can ask again later.",
            "Relinquish", "Keep it", danger=True)))
    blocks = [ui.section(text, block_id=f"grant:{grant.id}")]
    if buttons:
        blocks.append(ui.actions(*buttons, block_id=f"grant-actions:{grant.id}"))
    return blocks


def _request_row(request: HomeRequest) -> list[dict]:
    text = (f"#{request.id} *{md.escape(request.entitlement.label)}* for {duration_text(request.duration)} · "
            f"waiting for {md.escape(request.waiting_for)} · submitted {md.date(request.created_at)}")
    cancel = ui.button("Cancel", Action.CANCEL_REQUEST, RequestRef(request_id=request.id).dump(),
                       confirm_with=ui.confirm("Cancel this request?", f"Request #{request.id} will be withdrawn.",
                                               "Cancel request", "Keep it", danger=True))
    return [ui.section(text, block_id=f"request:{request.id}", accessory=cancel)]


def _approval_row(approval: HomeApproval) -> list[dict]:
    why = f"\n{md.quote(md.escape(md.truncate(approval.justification, 500)))}" if approval.justification else ""
    text = (f"#{approval.request_id} {person_line(approval.requester)} asks for "
            f"*{md.escape(approval.entitlement.label)}* for *{duration_text(approval.duration)}* "
            f"({md.escape(approval.step_label)}){why}")
    buttons = decision_buttons(approval.request_id, approval.entitlement.label, approval.entitlement.risk,
                               approval.requester.name)
    return [ui.section(text, block_id=f"approval:{approval.request_id}"),
            ui.actions(*buttons, block_id=f"approval-actions:{approval.request_id}")]
