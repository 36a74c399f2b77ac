"""The unused-access DM ("You have not used … since …. Keep it or release it?"), redrawn once answered,
and the Keep modal with its optional reason."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import PlainTextInputElement

from bot.slack.ids import Action, Block, Callback
from bot.slack.usage_refs import UsageAskRef
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.usage.queries import AskView, money

SETTLED = {"kept": "✅ Kept: the clock restarts from today",
           "released": "🚫 Released: the access is being removed through the usual revoke",
           "lapsed": "➖ Nobody answered: the access is kept",
           "closed": "➖ The access had already ended"}


def _day(at: datetime) -> str:
    return f"{at.day} {at:%b}"  # "2 Sep": the notification line cannot carry Slack's date token


def _question(view: AskView) -> str:
    if view.asked_is_holder:
        return f"You have not used {view.label} since {_day(view.last_at)}. Keep it or release it?"
    return f"{view.holder_name} has not used {view.label} since {_day(view.last_at)}. Keep it or release it?"


def render_usage_ask(view: AskView, *, reader_id: int | None = None) -> ui.Rendered:
    """``reader_id``: whose copy this is; a holder's copy after the question went to an owner has no buttons."""
    question = _question(view) if reader_id in (None, view.asked_id) else _question(
        AskView(**{**view.__dict__, "asked_is_holder": True}))
    who = "" if view.asked_is_holder else f"{md.person(view.holder_name, view.holder_slack_id)} · "
    then = ("it is released" if view.at_deadline == "release"
            else "the owner is asked" if view.asked_is_holder else "it is kept")
    cost = money(view.cost_cents, view.currency)
    notes = [f"{who}Last {md.escape(view.meaning)}: {md.date(view.last_at, '{date_short_pretty}')}",
             f"Answer by {md.date(view.due_at, '{date_short_pretty}')}; without an answer {then}",
             f"A seat costs {md.escape(cost)} a month" if cost else ""]
    blocks = [ui.section(f"🕸️ {md.escape(question)}", block_id=f"usage_ask:{view.ask_id}"),
              ui.context(*notes)]
    if view.status == "open" and reader_id not in (None, view.asked_id):
        blocks.append(ui.context("➡️ Nobody answered in time: the owner decides now"))
    elif view.status == "open":
        ref = UsageAskRef(ask_id=view.ask_id).dump()
        blocks.append(ui.actions(ui.button("Keep", Action.USAGE_KEEP, ref, style="primary"),
                                 ui.button("Release", Action.USAGE_RELEASE, ref, style="danger"),
                                 block_id=f"usage_actions:{view.ask_id}"))
    else:
        settled = SETTLED.get(view.status, md.escape(view.status))
        saved = f" (saves {md.escape(cost)} a month)" if cost and view.status == "released" else ""
        blocks.append(ui.context(f"{settled}{saved}{': ' + md.escape(view.reason) if view.reason else ''}"))
    return ui.Rendered(md.compose("{question}", question=question), blocks)


def render_keep_modal(ask_id: int, label: str) -> dict:
    block = {"type": "input", "block_id": Block.DENY_REASON, "optional": True,
             "label": ui.plain("Why you still need it (optional)").to_dict(),
             "element": PlainTextInputElement(action_id="reason", max_length=500).to_dict()}
    return ui.modal(callback_id=Callback.USAGE_KEEP, title="Keep access", submit="Keep",
                    blocks=[ui.section(f"Keep *{md.escape(label)}*? The inactivity clock restarts today."), block],
                    private_metadata=UsageAskRef(ask_id=ask_id).dump())
