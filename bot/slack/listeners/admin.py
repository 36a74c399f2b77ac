"""/access-admin stats | grants | revoke | grant (IT admins only; review and usage have their own modules). Everyone else is refused privately and the
refusal is audited; the admin check comes before the mentioned person is even looked up, so the
command tells a non-admin nothing about anyone. Answers are ephemeral."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import App

from bot.admin.grant import push_grant, revoke_as_admin
from bot.domain.errors import DomainError
from bot.ledger.authorisation import require_it_admin
from bot.reporting.figures import Period, compute
from bot.reporting.headline import summary
from bot.slack import admin_command as cmd
from bot.slack import errors, review_command, usage_command
from bot.slack.ids import Command
from bot.slack.listeners.common import person_of, raises_before_ack_only
from bot.slack.mentioned import mentioned_person
from bot.slack.readmodels.person_grants import load_person_grants
from bot.slack.readmodels.request import entitlement_info
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import duration_text
from bot.slack.views.person_grants import render_person_grants, render_pushed, render_revoking
from bot.store.models import Person

STATS_DAYS = 30


@raises_before_ack_only
def on_admin_command(ack, body, client, respond, env, actor) -> None:
    if review_command.handles(body.get("text", "")):
        return review_command.on_review_command(ack, body, respond, env, actor)
    if usage_command.handles(body.get("text", "")):
        return usage_command.on_usage_command(ack, body, respond, env, actor)
    parsed = cmd.parse(body.get("text", ""))
    if isinstance(parsed, cmd.Help | cmd.Problem):
        ack(text=parsed.text)
        return
    ack()
    subject = ("report", "stats") if isinstance(parsed, cmd.Stats) else ("slack_user", parsed.slack_user_id)
    try:
        env.perform(actor, "access_admin", lambda s, ctx: require_it_admin(ctx, person_of(s, actor), "use /access-admin"),
                    subject=subject)
        if isinstance(parsed, cmd.Stats):
            answer = stats(env)
        else:
            answer = run(env, actor, parsed, mentioned_person(env.deps, client, parsed.slack_user_id))
    except DomainError as error:
        respond(text=errors.refusal_text(error), response_type="ephemeral", replace_original=False)
        return
    respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)


def stats(env) -> ui.Rendered:
    deps = env.deps
    now = deps.clock.now()
    with deps.store.uow() as s:
        figures = compute(s, Period(now - timedelta(days=STATS_DAYS), now), now)
    shown = md.escape(summary(figures, STATS_DAYS))
    return ui.Rendered(shown, [ui.section(shown),
                              ui.context("From the ledger. `accessbot report --format html` draws the charts.")])


def run(env, actor, parsed, person_id: int) -> ui.Rendered:
    deps = env.deps
    if isinstance(parsed, cmd.ListGrants):
        with deps.store.uow() as s:
            model = load_person_grants(s, deps.catalog, person_id)
        return render_person_grants(model, deps.clock.now())
    label = entitlement_info(deps.catalog, parsed.entitlement).label
    if isinstance(parsed, cmd.Revoke):
        ids = env.perform(actor, "revoke", lambda s, ctx: revoke_as_admin(
            s, ctx, admin=person_of(s, actor), person=s.get(Person, person_id), entitlement=parsed.entitlement,
            reason=parsed.reason), subject=("person", person_id))
        return render_revoking(label, parsed.slack_user_id, ids)
    request_id, grant_id = env.perform(actor, "admin_grant", lambda s, ctx: _ids(push_grant(
        s, ctx, admin=person_of(s, actor), person=s.get(Person, person_id), entitlement=parsed.entitlement,
        duration=parsed.duration, reason=parsed.reason)), subject=("person", person_id))
    return render_pushed(label, parsed.slack_user_id, duration_text(parsed.duration), request_id, grant_id)


def _ids(request) -> tuple[int, int | None]:
    return request.id, request.grant_id


def register(app: App) -> None:
    app.command(Command.ACCESS_ADMIN)(on_admin_command)
