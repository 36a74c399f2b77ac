"""Access-review surfaces: the reviewer's DM, the review modal (one page of items), the reason and
keep-all confirmations, the IT channel's campaign message, and the holder's notice of a revoke."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import PlainTextInputElement, UserSelectElement

from bot.slack.ids import Action, Block, Callback
from bot.slack.readmodels.review import CampaignView, HomeReview, ReviewPage, ReviewRow
from bot.slack.review_refs import KeepAllForm, ReviewItemRef, ReviewReasonForm, ReviewRef
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md

HOW = {"request": "requested and approved", "birthright": "birthright (by role)", "admin": "pushed by IT",
       "review": "kept in an earlier review",
       "orphan": "⚠️ not granted through accessbot (found at the target by reconcile)"}
OTHER_GROUP = {"person": ("entitlement", "Group by entitlement"), "entitlement": ("person", "Group by person")}
RISK_ICON = {"low": "🟢", "medium": "🟡", "high": "🟠", "critical": "🔴"}
DONE = {"kept": "✅ Kept", "revoked": "🚫 Revoked", "closed": "➖ Closed (the access already ended)"}


def _progress(decided: int, total: int, due_at: datetime) -> str:
    return f"{decided} of {total} reviewed, due {md.date(due_at, '{date_short_pretty}')}"


def render_review_dm(campaign: CampaignView, decided: int, total: int) -> ui.Rendered:
    text = (f"📋 *Access review: {md.escape(campaign.name)}*\nYou have access to review: "
            f"{_progress(decided, total, campaign.due_at)}. Keep what is still needed; revoke the rest.")
    blocks = [ui.section(text), ui.actions(ui.button("Open review", Action.REVIEW_OPEN,
                                                     ReviewRef(campaign_id=campaign.campaign_id).dump(),
                                                     style="primary"))]
    return ui.Rendered(md.compose("Access review {name}: {n} of {total} reviewed", name=campaign.name, n=decided,
                                  total=total), blocks)


def review_row(review: HomeReview) -> dict:
    """One open access review on the reviewer's App Home: its progress and Open review."""
    text = f"📋 *Access review {md.escape(review.name)}*: {_progress(review.decided, review.total, review.due_at)}"
    return ui.section(text, block_id=f"review:{review.campaign_id}", accessory=ui.button(
        "Open review", Action.REVIEW_OPEN, ReviewRef(campaign_id=review.campaign_id).dump(), style="primary"))


def _row_text(row: ReviewRow) -> str:
    who = md.person(row.holder_name, row.holder_slack_id)
    about = ", ".join(md.escape(x) for x in (row.holder_title, row.holder_department) if x)
    since = md.date(row.held_since, "{date_short_pretty}") if row.held_since else "unknown"
    reviewed = md.date(row.last_reviewed_at, "{date_short_pretty}") if row.last_reviewed_at else "never"
    used = md.date(row.last_used, "{date_short_pretty}") if row.last_used else "unknown"
    how = HOW.get(row.granted_how, md.escape(row.granted_how))
    peers = f"{row.peers_holding} of {row.peers} peers hold it" if row.peers else "no peers with the same title"
    return (f"*{who}*{f' ({about})' if about else ''}\n{RISK_ICON.get(row.risk, '⚪')} "
            f"*{md.escape(row.entitlement_label)}* · {md.escape(row.risk)} risk\n"
            f"Held since {since} · {how} · last review {reviewed} · last used {used} · {peers}")


def _removal(row: ReviewRow) -> str:
    """Where a revoke stands at the target, as the reviewer sees it."""
    if row.status != "revoked" or not row.revoke_status:
        return ""
    if row.revoke_confirmed_at:
        return f" · removal confirmed by the target {md.date(row.revoke_confirmed_at, '{date_short_pretty} {time}')}"
    return f" · removal {md.escape(row.revoke_status.replace('_', ' '))}"


def _row_blocks(row: ReviewRow) -> list[dict]:
    blocks = [ui.section(_row_text(row), block_id=f"review_item:{row.item_id}")]
    if row.status != "pending":
        note = DONE.get(row.status, md.escape(row.status))
        blocks.append(ui.context(f"{note}{': ' + md.escape(row.reason) if row.reason else ''}{_removal(row)}"))
        return blocks
    ref = ReviewItemRef(item_id=row.item_id).dump()
    keep = Action.REVIEW_KEEP_WHY if row.risk in ("high", "critical") else Action.REVIEW_KEEP
    blocks.append({"type": "actions", "block_id": f"review_actions:{row.item_id}", "elements": [
        ui.button("Keep", keep, ref, style="primary").to_dict(),
        ui.button("Revoke", Action.REVIEW_REVOKE, ref, style="danger").to_dict(),
        UserSelectElement(action_id=f"{Action.REVIEW_REASSIGN}:{row.item_id}",
                          placeholder=ui.plain("Reassign to…", 150)).to_dict(),
    ]})
    return blocks


def render_review_modal(page: ReviewPage) -> dict:
    head = (f"*{md.escape(page.campaign_name)}*: {_progress(page.decided, page.total, page.due_at)}"
            f"{'' if page.open else ' · this campaign is closed'}")
    blocks = [ui.section(head, block_id="review_progress")]
    other, label = OTHER_GROUP.get(page.group, OTHER_GROUP["person"])
    tools = [ui.button(label, f"{Action.REVIEW_PAGE}:0:{other}",
                       ReviewRef(campaign_id=page.campaign_id, page=0, group=other).dump())]
    if page.open and page.decided < page.total:
        tools.insert(0, ui.button("Keep all remaining…", Action.REVIEW_KEEP_ALL,
                                  ReviewRef(campaign_id=page.campaign_id, page=page.page, group=page.group).dump()))
    blocks.append(ui.actions(*tools, block_id="review_bulk"))
    blocks.append(ui.divider())
    heading = None
    for row in page.rows:
        if _heading(page.group, row) != heading:  # one header per person (or entitlement) on the page
            heading = _heading(page.group, row)
            blocks.append(ui.header(heading))
        blocks += _row_blocks(row)
    if not page.rows:
        blocks.append(ui.section("Nothing to review."))
    nav = []
    if page.page > 0:
        nav.append(ui.button("◀ Previous", f"{Action.REVIEW_PAGE}:{page.page - 1}",
                             ReviewRef(campaign_id=page.campaign_id, page=page.page - 1, group=page.group).dump()))
    if page.page + 1 < page.pages:
        nav.append(ui.button("Next ▶", f"{Action.REVIEW_PAGE}:{page.page + 1}",
                             ReviewRef(campaign_id=page.campaign_id, page=page.page + 1, group=page.group).dump()))
    if page.pages > 1:
        blocks.append(ui.context(f"Page {page.page + 1} of {page.pages}"))
    if nav:
        blocks.append(ui.actions(*nav, block_id="review_pages"))
    return ui.modal(callback_id=Callback.REVIEW, title="Access review", blocks=blocks, close="Done",
                    private_metadata=ReviewRef(campaign_id=page.campaign_id, page=page.page,
                                               group=page.group).dump())


def _heading(group: str, row: ReviewRow) -> str:
    """Plain text (a header block): the person, or the entitlement, the next rows are about."""
    if group == "entitlement":
        return f"{row.entitlement_label} ({row.risk} risk)"
    about = ", ".join(x for x in (row.holder_title, row.holder_department) if x)
    return f"{row.holder_name}{f' ({about})' if about else ''}"


def render_reason_modal(form: ReviewReasonForm, what: str) -> dict:
    """``what``: mrkdwn naming the item (escaped by the caller)."""
    verb = "Revoke" if form.verdict == "revoke" else "Keep"
    block = {"type": "input", "block_id": Block.DENY_REASON, "label": ui.plain("Reason").to_dict(),
             "element": PlainTextInputElement(action_id="reason", multiline=True, max_length=500).to_dict()}
    return ui.modal(callback_id=Callback.REVIEW_REASON, title=f"{verb} access", submit=verb,
                    blocks=[ui.section(f"{verb}: {what}"), block], private_metadata=form.dump())


def render_keep_all_modal(form: KeepAllForm, left: int) -> dict:
    block = {"type": "input", "block_id": Block.DENY_REASON, "optional": True,
             "label": ui.plain("Reason (needed to keep high and critical risk access)").to_dict(),
             "element": PlainTextInputElement(action_id="reason", max_length=500).to_dict()}
    text = (f"Keep all {left} remaining item(s)? Each is recorded as kept by you. Without a reason, "
            "high and critical risk items stay for you to decide one by one.")
    return ui.modal(callback_id=Callback.REVIEW_KEEP_ALL, title="Keep all remaining", submit="Keep all",
                    blocks=[ui.section(text), block], private_metadata=form.dump())


def render_campaign_message(campaign: CampaignView) -> ui.Rendered:
    state = "running" if campaign.status == "open" else "closed"
    counts = " · ".join(f"{k} {v}" for k, v in sorted(campaign.by_status.items()))
    text = (f"📋 *Access review {md.escape(campaign.name)}* (#{campaign.campaign_id}) is {state}: "
            f"{_progress(campaign.decided, campaign.total, campaign.due_at)}")
    return ui.message(text, md.escape(counts) if counts else "")


def render_revoked_notice(entitlement_label: str, campaign_name: str, reason: str) -> ui.Rendered:
    text = (f"🚫 Your access to *{md.escape(entitlement_label)}* is being removed after the access review "
            f"{md.escape(campaign_name)}.\nWhy: {md.escape(reason)}\nIf you still need it, ask again with /access.")
    return ui.message(text)
