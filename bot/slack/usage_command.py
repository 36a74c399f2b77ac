"""``/access-admin usage [collect CONNECTOR]`` (IT admins): the licenses summary, and a collection pass now.

    /access-admin usage                      seats active / inactive / unknown and potential savings
    /access-admin usage collect okta         start okta's next pass now (refused during a throttle)
"""

from __future__ import annotations

import html
from datetime import timedelta

from bot.domain.errors import DomainError
from bot.ledger.authorisation import require_it_admin
from bot.slack import errors
from bot.slack.listeners.common import person_of
from bot.slack.views import mrkdwn as md
from bot.usage import admin
from bot.usage import report as licenses
from bot.usage.queries import money
from bot.usage.timers import stale_after

USAGE = ("*Usage and licenses* (IT admins)\n"
         "• `/access-admin usage`: seats by entitlement, active, inactive and unknown, and the potential monthly "
         "saving from known usage (`accessbot report licenses` has the rest).\n"
         "• `/access-admin usage collect CONNECTOR`: read last activity from that target now.")
SHOWN_ROWS = 15  # an ephemeral answer, not the report: the CLI and the API have every row


def handles(text: str) -> bool:
    words = (text or "").split()
    return bool(words) and words[0].lower() == "usage"


def on_usage_command(ack, body, respond, env, actor) -> None:
    words = html.unescape(body.get("text", "")).split()[1:]
    if words and (words[0].lower() != "collect" or len(words) != 2):
        ack(text=USAGE)
        return
    ack()
    try:
        text = _collect(env, actor, words[1]) if words else _summary(env, actor)
    except DomainError as error:
        respond(text=errors.refusal_text(error), response_type="ephemeral", replace_original=False)
        return
    respond(text=text, response_type="ephemeral", replace_original=False)


def _summary(env, actor) -> md.Mrkdwn:
    deps = env.deps
    now = deps.clock.now()

    def op(s, ctx):
        require_it_admin(ctx, person_of(s, actor), "see usage and licenses")
        return licenses.build(s, ctx.catalog, now, now - timedelta(days=30), now, stale_after=stale_after(deps.settings))
    report = env.perform(actor, "usage.licenses", op, subject=("report", "licenses"))
    lines = [md.compose("*Licenses* (reclaimed: last 30 days)")]
    for row in report.rows[:SHOWN_ROWS]:
        saving = f" · saves {money(row.potential_monthly_cents, row.currency)}/month" if row.potential_monthly_cents else ""
        note = "" if row.data == "fresh" else f" (usage not used: {row.data})"
        lines.append(md.compose("• {label}: {seats} seats, {active} active, {inactive} inactive, {unknown} unknown"
                                "{saving}{note}", label=row.label, seats=row.seats, active=row.active,
                                inactive=row.inactive, unknown=row.unknown, saving=saving, note=note))
    if len(report.rows) > SHOWN_ROWS:
        lines.append(md.compose("…and {n} more (`accessbot report licenses`).", n=len(report.rows) - SHOWN_ROWS))
    if not report.rows:
        lines.append(md.compose("No entitlement has a license cost or an inactivity policy."))
    potential = ", ".join(money(c, cur) for cur, c in sorted(report.potential().items())) or "none"
    released = sum(r.seats for r in report.reclaimed)
    lines.append(md.compose("Potential monthly savings (known usage only): {potential}. Reclaimed: {n} seat(s).",
                            potential=potential, n=released))
    return md.Mrkdwn("\n".join(lines))


def _collect(env, actor, name: str) -> md.Mrkdwn:
    deps = env.deps

    def op(s, ctx):
        return admin.collect_now(s, ctx, connectors=deps.connectors, name=name, by=person_of(s, actor))
    env.perform(actor, "usage.collect", op, subject=("connector", name))
    return md.compose("🔄 Reading last activity from {name} now; `/access-admin usage` shows the figures when the "
                      "pass completes.", name=name)
