"""The App Home tab: drawn when opened, paged with Show more (the notifier redraws it on changes)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import parse
from bot.slack.ids import Action, Event
from bot.slack.listeners.common import after_ack
from bot.slack.metadata import HomePage


@after_ack
def on_home_opened(event, client, env, actor) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab: nothing to draw
    env.homes.publish(actor.person_id, client=client, seen_hash=(event.get("view") or {}).get("hash"))


@after_ack
def on_show_more(ack, body, client, respond, env, actor) -> None:
    ack()
    with env.refusal_shown(actor, "show_more", body=body, client=client, respond=respond) as attempt:
        page = parse.action_meta(body, HomePage)
    if attempt.refused:
        return
    env.homes.publish(actor.person_id, limits={page.section: page.limit}, client=client,
                      seen_hash=(body.get("view") or {}).get("hash"))


def register(app: App) -> None:
    app.event(Event.APP_HOME_OPENED)(on_home_opened)
    app.action(Action.HOME_SHOW_MORE)(on_show_more)
