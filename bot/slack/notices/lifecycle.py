"""Joiner / mover / leaver events that people must hear about.

- ``lifecycle.access_ending``: after a move, the person and their manager get one DM listing the
  access the new role no longer allows and when each goes (read from the grants and their
  scheduled policy revocations, so a grant that ended meanwhile is left out).
- ``birthright.skipped``, ``lifecycle.rejected``, ``request.reroute_failed``: something the bot could
  not do by itself; IT is told in the IT channel.
- re-hires (``lifecycle.reactivation_planned`` / ``_scheduled`` / ``_failed``,
  ``lifecycle.rehire_kept_offboarding``): which accounts come back, which stay suspended and why,
  and that earlier access is not restored. These one-off notes say what the audit log says
  (the event's detail), as nothing else records it.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.enums import GrantStatus
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.request import PersonInfo, entitlement_info
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.store.models import DueAction, Grant, LifecycleEvent, Person
from bot.workflow import due

STILL_HELD = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE)


def on_access_ending(d: Dispatch, event: Event) -> None:
    person_id = int(event.payload["person_id"])
    with d.deps.store.uow() as s:
        person = s.get(Person, person_id)
        manager = s.get(Person, person.manager_id) if person and person.manager_id else None
        lines = _ending_lines(s, d.deps.catalog, [int(g["grant_id"]) for g in event.payload.get("grants", [])])
        who, boss = PersonInfo.of(person), PersonInfo.of(manager) if manager else None
    if not lines:
        return
    body = "\n".join(lines)
    mine = f"After your move, this access ends (ask again with /access if you still need it):\n{body}"
    _dm_once(d, event, who.id, mine)
    if boss is not None:
        _dm_once(d, event, boss.id, f"After {md.person(who.name, who.slack_user_id)}'s move, this access of theirs "
                                    f"ends, so you can plan the hand-over:\n{body}")


def _ending_lines(s, catalog, grant_ids: list[int]) -> list[str]:
    lines = []
    for grant in s.scalars(select(Grant).where(Grant.id.in_(grant_ids), Grant.status.in_(STILL_HELD))
                           .order_by(Grant.id)):
        when = s.scalar(select(DueAction.due_at).where(
            DueAction.kind == due.POLICY_REVOKE, DueAction.ref_id == str(grant.id), DueAction.status == "scheduled"))
        if when is not None:
            label = entitlement_info(catalog, grant.entitlement).label
            lines.append(f"• *{md.escape(label)}* on {md.date(when)}")
    return lines


def _dm_once(d: Dispatch, event: Event, person_id: int, text: str) -> None:
    purpose = f"notice:{event.id}"
    if not d.out.has(("person", person_id), purpose, person_id):
        d.out.post_dm(person_id, ui.Rendered(text.split("\n", 1)[0].replace("*", ""), [ui.section(text)]),
                      subject=("person", person_id), purpose=purpose)


def _email_of(d: Dispatch, payload: dict) -> str:
    with d.deps.store.uow() as s:
        if payload.get("person_id") is not None:
            person = s.get(Person, int(payload["person_id"]))
            return person.email if person else "someone"
        row = s.get(LifecycleEvent, int(payload["lifecycle_event_id"])) if payload.get("lifecycle_event_id") else None
        return row.email if row else "someone"


def on_it_note(d: Dispatch, event: Event) -> None:
    p = event.payload
    match event.type:
        case "birthright.skipped":
            text = (f"⚠️ Birthright access *{md.escape(p.get('entitlement', ''))}* was not given to "
                    f"{md.escape(_email_of(d, p))}: {md.escape(p.get('reason', ''))}")
        case "lifecycle.reactivation_planned" | "lifecycle.reactivation_scheduled" | \
                "lifecycle.rehire_kept_offboarding" | "lifecycle.reactivation_failed":
            text = _rehire_text(event.type, p)
        case "lifecycle.rejected":
            text = (f"⚠️ HR event `{md.escape(p.get('event_id', ''))}` for {md.escape(_email_of(d, p))} "
                    f"was not applied: {md.escape(p.get('reason', ''))}. Fix the directory, then have HR send it again.")
        case _:
            text = (f"⚠️ Request #{p.get('request_id')} ({md.escape(p.get('step_label', ''))}) could not be moved to a "
                    f"new approver: {md.escape(p.get('error', ''))}. Someone in IT should decide it or re-route it.")
    subject = ("event", event.id)
    if not d.out.has(subject, "it_note"):
        post_to_it(d, ui.Rendered(text.replace("*", ""), [ui.section(text)]), subject=subject, purpose="it_note",
                   channel=p.get("channel"))


REHIRE_NOTES = ("lifecycle.reactivation_planned", "lifecycle.reactivation_scheduled",
                "lifecycle.rehire_kept_offboarding", "lifecycle.reactivation_failed")
NOT_RESTORED = "Earlier access is not restored: they request what they need again with /access."


def _rehire_text(kind: str, p: dict) -> str:
    who = md.escape(p.get("person_email", "someone"))
    if kind == "lifecycle.reactivation_failed":
        return (f"⚠️ Could not reactivate {who}'s *{md.escape(p.get('connector', ''))}* account after their re-hire: "
                f"{md.escape(p.get('detail', ''))}. Reactivate it by hand.")
    if kind == "lifecycle.rehire_kept_offboarding":
        return (f"↩️ {who} was re-hired, but an offboarding IT scheduled for them is still planned "
                f"({md.escape(str(p.get('at', ''))[:16])} UTC). Cancel it if the re-hire replaces it.")
    if kind == "lifecycle.reactivation_scheduled":
        return (f"↩️ {who} was re-hired: the accounts accessbot suspended are reactivated on their start date "
                f"({md.escape(str(p.get('reactivate_at', ''))[:10])}). {NOT_RESTORED}")
    systems = ", ".join(md.escape(s) for s in p.get("systems", [])) or "none"
    lines = [f"↩️ {who} was re-hired. Reactivating the accounts accessbot suspended: {systems}."]
    lines += [f"• {md.escape(left.get('system', ''))} left suspended: {md.escape(left.get('reason', ''))}"
              for left in p.get("left_suspended", [])]
    return "\n".join([*lines, NOT_RESTORED])


def register(handlers: Handlers) -> None:
    handlers.add("lifecycle.access_ending", on_access_ending)
    for event_type in ("birthright.skipped", "lifecycle.rejected", "request.reroute_failed", *REHIRE_NOTES):
        handlers.add(event_type, on_it_note)
