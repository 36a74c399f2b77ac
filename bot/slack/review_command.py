"""``/access-admin review start|status|close|remind …`` (IT admins): the campaign verbs in Slack.

    /access-admin review start quarterly-privileged
    /access-admin review status [CAMPAIGN|RUN]
    /access-admin review remind CAMPAIGN|RUN
    /access-admin review close CAMPAIGN|RUN
"""

from __future__ import annotations

import html

from bot.domain.errors import DomainError
from bot.ledger.authorisation import require_it_admin
from bot.reviews import admin
from bot.slack import errors
from bot.slack.listeners.common import person_of
from bot.slack.views import mrkdwn as md

USAGE = ("*Access reviews* (IT admins)\n"
         "• `/access-admin review start CAMPAIGN`: snapshot what is in scope and ask every reviewer.\n"
         "• `/access-admin review status [CAMPAIGN]`: how far each campaign is.\n"
         "• `/access-admin review remind CAMPAIGN`: remind everyone with items left.\n"
         "• `/access-admin review close CAMPAIGN`: end it now; what is left gets the default action.")
VERBS = ("start", "status", "remind", "close")


def handles(text: str) -> bool:
    words = (text or "").split()
    return bool(words) and words[0].lower() == "review"


def on_review_command(ack, body, respond, env, actor) -> None:
    words = html.unescape(body.get("text", "")).split()[1:]
    verb = words[0].lower() if words else "help"
    if verb not in VERBS or (verb != "status" and len(words) != 2) or len(words) > 2:
        ack(text=USAGE if verb in ("help", *VERBS) else f"I don't know `{md.escape(verb)}`.\n\n{USAGE}")
        return
    ack()
    ref = words[1] if len(words) > 1 else None
    try:
        text = _run(env, actor, verb, ref)
    except DomainError as error:
        respond(text=errors.refusal_text(error), response_type="ephemeral", replace_original=False)
        return
    respond(text=text, response_type="ephemeral", replace_original=False)


def _run(env, actor, verb: str, ref: str | None) -> str:
    def as_admin(fn):
        def op(s, ctx):
            by = person_of(s, actor)
            require_it_admin(ctx, by, "run access reviews")
            return fn(s, ctx, by)
        return op

    subject = ("review_campaign", ref or "-")
    if verb == "status":
        lines = env.perform(actor, "review.status", as_admin(
            lambda s, ctx, by: [p.line() for p in admin.status(s, ref)]), subject=subject)
        return md.escape("\n".join(lines) or "No review campaigns yet.")
    if verb == "start":
        progress = env.perform(actor, "review.start", as_admin(
            lambda s, ctx, by: admin.start(s, ctx, name=ref, by=by)), subject=subject)
        return md.compose("📋 Started {line}. Every reviewer has a DM.", line=progress.line())
    if verb == "remind":
        count = env.perform(actor, "review.remind", as_admin(
            lambda s, ctx, by: admin.remind(s, ctx, ref=ref, by=by)), subject=subject)
        return f"⏰ Reminded {count} reviewer(s)."
    progress = env.perform(actor, "review.close", as_admin(
        lambda s, ctx, by: admin.close(s, ctx, ref=ref, by=by)), subject=subject)
    return md.compose("✅ Closed {line}", line=progress.line())
