"""Global middleware, in order: dependencies into the context, retried deliveries dropped, the Slack
user resolved to a person (``actor``) or politely refused.

Bolt runs the code after ``next()`` *before* the listener (notes §3 #6), so nothing here wraps
``next()`` in a transaction: each step opens and closes its own short unit of work, or none.
"""

from __future__ import annotations

import json
import logging
import threading

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot.domain.enums import Trigger
from bot.domain.errors import UnknownPerson
from bot.ledger.context import Actor
from bot.slack import errors
from bot.slack.env import SlackEnv
from bot.slack.notify import DELIVERY_KEY_PREFIX
from bot.slack.views import common as ui
from bot.store.models import DeliveryKey

log = logging.getLogger(__name__)


class SignalledAck(Ack):
    """Bolt's ``ack`` that wakes the request thread the moment a listener calls it.

    With ``process_before_response=False`` Bolt's runner hands the listener to its executor and then
    polls ``ack.response`` every 10 ms (slack_bolt.listener.thread_runner): 0-10 ms added to every ack,
    and a hundred GIL wake-ups a second per request in flight. Here a read of ``response`` by the
    thread that made the ack (the request's own, which is the one polling) waits on an event instead,
    for at most ``WAIT_SECONDS`` per read, so Bolt's own 3 s timeout still ends its loop.
    """

    WAIT_SECONDS = 0.05

    def __init__(self) -> None:
        self._answered = threading.Event()
        self._poller = threading.get_ident()
        self._response: BoltResponse | None = None
        super().__init__()

    @property
    def response(self) -> BoltResponse | None:
        if self._response is None and threading.get_ident() == self._poller:
            self._answered.wait(self.WAIT_SECONDS)
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self._answered.set()


def provide(env: SlackEnv):
    def provide_env(context: BoltContext, next) -> None:  # noqa: A002 - Bolt's name
        context["env"] = env
        if "ack" not in context or context["ack"].response is None:
            context["ack"] = SignalledAck()
        next()
    return provide_env


def drop_redeliveries(context: BoltContext, body: dict, request: BoltRequest, next):  # noqa: A002
    """Slack retries an event it thinks we missed (and Socket Mode redelivers): handle each event_id once."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return next()
    env: SlackEnv = context["env"]
    try:
        with env.deps.store.uow() as s:
            s.add(DeliveryKey(key=f"{DELIVERY_KEY_PREFIX}{event_id}", seen_at=env.deps.clock.now(),
                              note=body.get("event", {}).get("type", "")))
    except IntegrityError:
        retry = request.headers.get("x-slack-retry-num", ["0"])[0]
        log.info("event %s already handled; dropping delivery (retry %s)", event_id, retry)
        return BoltResponse(status=200, body="")
    return next()


def resolve_actor(context: BoltContext, body: dict, client: WebClient, next):  # noqa: A002
    """``actor`` for listeners: the person behind this Slack user. Unknown users get a clear answer
    on the surface they used, and no listener runs."""
    user_id = context.user_id
    if not user_id or body.get("type") == "url_verification":
        return next()
    env: SlackEnv = context["env"]
    resolved = env.identity.resolve(user_id, client)
    if resolved.known:
        context["actor"] = resolved.actor
        return next()
    return _refuse_unknown(env, resolved.problem, context, body, client)


def _refuse_unknown(env: SlackEnv, problem: str, context: BoltContext, body: dict, client: WebClient) -> BoltResponse:
    kind = "command" if body.get("command") else body.get("type")
    log.info("unknown Slack user %s (%s): %s", context.user_id, kind, problem)
    env.refused(Actor(f"slack:{context.user_id}", Trigger.SLACK), "identify", UnknownPerson(problem),
                subject=("slack_user", context.user_id), surface=str(kind))
    if kind == "command":
        return _json({"response_type": "ephemeral", "text": f"⚠️ {problem}"})
    if kind == "view_submission":
        return _json({"response_action": "update", "view": ui.notice_modal("accessbot", f"⚠️ {problem}")})
    if kind == "block_suggestion":
        return _json({"options": []})
    if kind == "event_callback":
        if body.get("event", {}).get("type") == "app_home_opened":
            env.homes.publish_unknown(context.user_id, problem, client)
        return BoltResponse(status=200, body="")
    if kind in ("block_actions", "shortcut", "message_action"):
        errors.tell(f"⚠️ {problem}", body=body, client=client, respond=context.respond)
    return BoltResponse(status=200, body="")


def _json(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})
