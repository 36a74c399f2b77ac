"""What one person holds, as IT sees it with /access-admin grants (an ephemeral reply)."""

from __future__ import annotations

from datetime import datetime

from bot.slack.readmodels.person_grants import HeldLine, PersonGrants
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import time_left
from bot.slack.views.home import STATUS_BADGES

PER_SECTION = 15  # lines per section, well inside 3000 characters


def render_person_grants(model: PersonGrants, now: datetime) -> ui.Rendered:
    who = f"{md.person(model.person.name, model.person.slack_user_id)} ({md.escape(model.person.email)})"
    leaver = " · 🚪 has left" if model.status == "leaver" else ""
    if not model.held:
        text = f"{who}{leaver} holds nothing through accessbot right now."
        return ui.Rendered(md.compose("{who} holds nothing", who=model.person.name), [ui.section(text)])
    blocks = [ui.section(f"{who}{leaver} holds {len(model.held)}:")]
    lines = [_line(g, now) for g in model.held]
    for start in range(0, len(lines), PER_SECTION):
        blocks.append(ui.section("\n".join(lines[start:start + PER_SECTION])))
    blocks.append(ui.context(f"{model.ended} earlier grant(s) ended · `/access-admin revoke @user APP:ROLE` removes one "
                             "· `/offboard @user` removes everything"))
    return ui.Rendered(md.compose("{who} holds {n}", who=model.person.name, n=len(model.held)), blocks[:50])


def _line(grant: HeldLine, now: datetime) -> str:
    status = STATUS_BADGES.get(grant.status, grant.status)
    if grant.status == "scheduled":
        when = f"starts {md.date(grant.starts_at)}"
    elif grant.ends_at:
        when = f"until {md.date(grant.ends_at)} ({time_left(grant.ends_at, now)})"
    else:
        when = "permanent"
    source = f"request #{grant.request_id}" if grant.request_id else md.escape(grant.granted_by or "unknown")
    by = f" · granted by {md.escape(grant.granted_by)}" if grant.request_id and grant.granted_by else ""
    return (f"• *{md.escape(grant.entitlement.label)}* `{md.escape(grant.entitlement.ref)}` · {status} · {when}"
            f" · {source}{by} · grant #{grant.id}")


def render_revoking(label: str, slack_user_id: str, grant_ids: list[int]) -> ui.Rendered:
    """/access-admin revoke's answer: what is being removed from whom."""
    grants = ", ".join(f"grant #{i}" for i in grant_ids)
    return ui.message(f"🔒 Removing *{md.escape(label)}* from {md.person('', slack_user_id)} ({grants}).",
                      "They are told once it is gone.")


def render_pushed(label: str, slack_user_id: str, duration: str, request_id: int, grant_id: int | None) -> ui.Rendered:
    """/access-admin grant's answer."""
    return ui.message(f"✅ Pushed *{md.escape(label)}* to {md.person('', slack_user_id)} for {md.escape(duration)} "
                      f"(request #{request_id}, grant #{grant_id}).", "Provisioning now; they are told when it is ready.")
