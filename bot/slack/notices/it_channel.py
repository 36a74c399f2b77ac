"""Where IT is told things: the catalog's IT channel, else each IT admin's DM."""

from __future__ import annotations

from bot.slack.delivery import Copy
from bot.slack.notify import Dispatch
from bot.slack.readmodels.it_admins import it_admins
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md


def post_to_it(d: Dispatch, message: ui.Rendered, *, subject: tuple[str, object], purpose: str,
               channel: str | None = None, thread_ts: str | None = None) -> Copy | None:
    """``channel`` (else the catalog's IT channel) when there is one, else a DM to each IT admin;
    returns the first copy posted."""
    channel = channel or d.deps.catalog.settings.it_channel
    if channel:
        return d.out.post(channel, message, subject=subject, purpose=purpose, thread_ts=thread_ts)
    with d.deps.store.uow() as s:
        admins = it_admins(s, d.deps.catalog)
    copies = [d.out.post_dm(admin.id, message, subject=subject, purpose=purpose) for admin in admins]
    return next((c for c in copies if c is not None), None)


def mentions(d: Dispatch, people) -> md.Mrkdwn:
    """Mentions that notify: Slack ids are looked up (and linked) for people not linked yet."""
    shown = []
    for person in people:
        slack_id = person.slack_user_id or d.out.identity.slack_id_for(person.id, d.out.client)
        shown.append(md.person(person.name, slack_id))
    return md.Mrkdwn(" ".join(shown))
