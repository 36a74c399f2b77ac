"""What joiner / mover / leaver events tell people: the access a move ends (to the person and their
manager), and IT's one-off notes (a birthright not given, an HR event not applied, a request that
could not be re-routed, re-hires). Every value comes from HR, the directory or the catalog: escaped."""

from __future__ import annotations

from datetime import datetime

from bot.lifecycle.event_names import LifecycleEventName
from bot.offboarding.events import ReactivationEvent
from bot.slack.readmodels.request import PersonInfo
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md

REHIRE_NOTES = (ReactivationEvent.PLANNED, LifecycleEventName.REACTIVATION_SCHEDULED,
                LifecycleEventName.REHIRE_KEPT_OFFBOARDING, ReactivationEvent.FAILED)
NOT_RESTORED = "Earlier access is not restored: they request what they need again with /access."


def render_access_ending(ending: list[tuple[str, datetime]], of: PersonInfo | None = None) -> ui.Rendered:
    """``ending``: (label, when) of each grant the move ends; ``of``: whose, when telling their manager."""
    body = "\n".join(f"• *{md.escape(label)}* on {md.date(when)}" for label, when in ending)
    if of is None:
        return ui.message(f"After your move, this access ends (ask again with /access if you still need it):\n{body}")
    return ui.message(f"After {md.person(of.name, of.slack_user_id)}'s move, this access of theirs ends, so you can "
                      f"plan the hand-over:\n{body}")


def render_it_note(kind: str, p: dict, email: str = "") -> ui.Rendered:
    """``p``: the event's payload; ``email``: the person it is about (birthright and HR notes)."""
    match kind:
        case LifecycleEventName.BIRTHRIGHT_SKIPPED:
            text = (f"⚠️ Birthright access *{md.escape(p.get('entitlement', ''))}* was not given to "
                    f"{md.escape(email)}: {md.escape(p.get('reason', ''))}")
        case _ if kind in REHIRE_NOTES:
            text = _rehire_text(kind, p)
        case LifecycleEventName.REJECTED:
            text = (f"⚠️ HR event `{md.escape(p.get('event_id', ''))}` for {md.escape(email)} "
                    f"was not applied: {md.escape(p.get('reason', ''))}. Fix the directory, then have HR send it again.")
        case _:
            text = (f"⚠️ Request #{md.escape(str(p.get('request_id')))} ({md.escape(p.get('step_label', ''))}) could "
                    f"not be moved to a new approver: {md.escape(p.get('error', ''))}. Someone in IT should decide it "
                    "or re-route it.")
    return ui.message(text)


def _rehire_text(kind: str, p: dict) -> str:
    who = md.escape(p.get("person_email", "someone"))
    if kind == ReactivationEvent.FAILED:
        return (f"⚠️ Could not reactivate {who}'s *{md.escape(p.get('connector', ''))}* account after their re-hire: "
                f"{md.escape(p.get('detail', ''))}. Reactivate it by hand.")
    if kind == LifecycleEventName.REHIRE_KEPT_OFFBOARDING:
        return (f"↩️ {who} was re-hired, but an offboarding IT scheduled for them is still planned "
                f"({md.escape(str(p.get('at', ''))[:16])} UTC). Cancel it if the re-hire replaces it.")
    if kind == LifecycleEventName.REACTIVATION_SCHEDULED:
        return (f"↩️ {who} was re-hired: the accounts accessbot suspended are reactivated on their start date "
                f"({md.escape(str(p.get('reactivate_at', ''))[:10])}). {NOT_RESTORED}")
    systems = ", ".join(md.escape(s) for s in p.get("systems", [])) or "none"
    lines = [f"↩️ {who} was re-hired. Reactivating the accounts accessbot suspended: {systems}."]
    lines += [f"• {md.escape(left.get('system', ''))} left suspended: {md.escape(left.get('reason', ''))}"
              for left in p.get("left_suspended", [])]
    return "\n".join([*lines, NOT_RESTORED])
