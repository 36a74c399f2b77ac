"""/offboard @user [at …]: IT admins only (anyone else is refused privately, and the refusal is
audited). The confirmation modal opens at once with the command's trigger; the plan (connector dry
runs, which may be slow) replaces it when ready. Confirming starts the offboarding, whose connector
work runs in the background after the ack, or schedules it; the IT channel follows it either way.
Someone holding privileged access waits for a second IT admin instead (four eyes), unless the
admin ticks break glass and gives a reason.
"""

from __future__ import annotations

from datetime import datetime, timezone

from slack_bolt import App

from bot.domain.errors import DomainError
from bot.ledger.authorisation import require_it_admin
from bot.offboarding import engine, prepare
from bot.offboarding.confirm import WHAT, offboard_at, offboard_now
from bot.offboarding.plan import preview
from bot.slack import errors, offboard_command, parse
from bot.slack.ids import Block, Callback, Command
from bot.slack.it_refs import OffboardForm
from bot.slack.listeners.common import person_of, raises_before_ack_only
from bot.slack.offboard_target import Target, find_target
from bot.slack.views import mrkdwn as md
from bot.slack.views.offboard_modal import render_loading, render_notice, render_plan, render_submitted


@raises_before_ack_only
def on_offboard_command(ack, body, client, env, actor) -> None:
    parsed = offboard_command.parse(body.get("text", ""))
    if not isinstance(parsed, offboard_command.Offboard):
        ack(text=parsed.text)
        return
    try:
        env.perform(actor, "offboard", lambda s, ctx: require_it_admin(ctx, person_of(s, actor), WHAT),
                    subject=("slack_user", parsed.slack_user_id))
    except DomainError as error:
        ack(text=errors.refusal_text(error))
        return
    ack()
    opened = client.views_open(trigger_id=body["trigger_id"], view=render_loading(md.person("", parsed.slack_user_id)))
    client.views_update(view_id=opened["view"]["id"], view=plan_view(env, client, actor, parsed))


def plan_view(env, client, actor, parsed: offboard_command.Offboard) -> dict:
    try:
        target: Target = find_target(env.deps, client, actor, parsed)
        plan = preview(env.deps, target.email)
    except DomainError as error:
        env.refused(actor, "offboard", error)
        return render_notice(errors.refusal_text(error))
    meta = OffboardForm(person_id=target.person_id, at=int(target.at.timestamp()) if target.at else None).dump()
    return render_plan(plan, who=target.mention, when=target.when_text, meta=meta,
                       break_glass=env.deps.catalog.settings.offboarding.break_glass)


def on_offboard_submitted(ack, view, env, actor) -> None:
    with env.refusal_answered(actor, "offboard", view, ack) as attempt:
        form = parse.view_meta(view, OffboardForm)
        reason = parse.text_value(view, Block.OFFBOARD_REASON)
        break_glass = parse.checked(view, Block.OFFBOARD_BREAK_GLASS)
        at = datetime.fromtimestamp(form.at, timezone.utc) if form.at is not None else None
        record_id, status = env.perform(actor, "offboard", lambda s, ctx: _status(
            offboard_now(s, ctx, admin=person_of(s, actor), person_id=form.person_id, reason=reason,
                         break_glass=break_glass) if at is None
            else offboard_at(s, ctx, admin=person_of(s, actor), person_id=form.person_id, at=at, reason=reason,
                             break_glass=break_glass)), subject=("person", form.person_id))
    if attempt.refused:
        return
    where = md.channel(env.deps.catalog.settings.it_channel) if env.deps.catalog.settings.it_channel else "the IT admins' DMs"
    if status == prepare.UNCONFIRMED:
        ack(response_action="update", view=render_submitted(
            f"🔐 Offboarding #{record_id} waits for a second IT admin: it is posted in {where} with *Confirm*. "
            "Nothing changes until someone other than you confirms it.", offboarding_id=record_id))
    elif at is None:
        ack(response_action="update", view=render_notice(
            f"🚪 Offboarding #{record_id} has started. Every system reports in {where} as it finishes."))
        engine.drive_later(env.deps, [record_id])
    else:
        ack(response_action="update", view=render_submitted(
            f"🗓 Offboarding #{record_id} is scheduled for {md.date(at)}. It is posted in {where}.",
            offboarding_id=record_id))


def _status(record) -> tuple[int, str]:
    return record.id, record.status


def register(app: App) -> None:
    app.command(Command.OFFBOARD)(on_offboard_command)
    app.view(Callback.OFFBOARD)(on_offboard_submitted)
