"""SlackSim: plays Slack calling the app, exactly as Slack would, against the app's real endpoint.

    sim = SlackSim("http://127.0.0.1:8123", fake, SIGNING_SECRET)      # or SlackSim(TestClient(app), ...)
    ack = sim.slash(ALICE, "/access", "github admin")                   # signed form POST, fresh trigger_id
    modal = fake.wait_until(lambda: fake.modal_stack(ALICE), what="modal")[-1]
    result = sim.submit(ALICE, modal.id, {"reason": "on call"})         # state.values typed from the view
    card = fake.dm(BOB)[-1]
    sim.click(BOB, on=card.ref, action_id="approve")                    # only what the app rendered

Every request is signed over its exact bytes, carries a trigger_id and response_url freshly minted on the fake,
and must be answered within 3 s (latencies are kept in `ack_latencies`). `SlackSim.over_socket_mode(fake)` sends
the same payloads as Socket Mode envelopes instead.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from tests.support import blockkit
from tests.support.fake_slack.fake import FakeSlack
from tests.support.fake_slack.snapshots import View
from tests.support.slack_driver import payloads
from tests.support.slack_driver.surfaces import Surface, SurfaceRef, find_element, input_elements, resolve_surface
from tests.support.slack_driver.transport import Ack, HttpTransport, SocketTransport, Transport
from tests.support.slack_driver.values import empty_value, is_empty, typed_value

ACK_DEADLINE_SECONDS = 3.0
SUGGESTION_ELEMENTS = frozenset({"external_select", "multi_external_select"})


@dataclass(frozen=True)
class EventDelivery:
    ack: Ack
    envelope: dict[str, Any] = field(hash=False)

    @property
    def event_id(self) -> str:
        return self.envelope.get("event_id", "")


@dataclass(frozen=True)
class Submission:
    ack: Ack
    response_action: str | None
    errors: dict[str, str]
    top: View | None  # the user's top modal after Slack applied the answer; None when all closed


class SlackSim:
    def __init__(self, app: Any, fake: FakeSlack, signing_secret: str | None = None, *,
                 clock: Any = None, transport: Transport | None = None,
                 ack_deadline: float = ACK_DEADLINE_SECONDS):
        if transport is None:
            if app is None or signing_secret is None:
                raise ValueError("HTTP mode needs the app (URL or client) and the signing secret")
            transport = HttpTransport(app, signing_secret, clock=clock)
        self.fake, self.transport, self.ack_deadline = fake, transport, ack_deadline
        self.ack_latencies: list[float] = []

    @classmethod
    def over_socket_mode(cls, fake: FakeSlack, *, timeout: float = ACK_DEADLINE_SECONDS) -> SlackSim:
        return cls(None, fake, transport=SocketTransport(fake.socket_link, timeout=timeout))

    # ---- raw access for negative tests ---------------------------------------------------------------------
    def signed_request(self, body: bytes | str, content_type: str, *, timestamp: int | None = None,
                       secret: str | None = None, headers: dict[str, str] | None = None) -> Ack:
        """POST arbitrary bytes, signed (with another secret or timestamp if given): bad-signature tests."""
        if not isinstance(self.transport, HttpTransport):
            raise TypeError("signed requests exist in HTTP mode only; Socket Mode is unsigned")
        raw = body.encode() if isinstance(body, str) else body
        return self.transport.post(raw, content_type, timestamp=timestamp, secret=secret, headers=headers)

    def _deliver(self, kind: str, payload: dict[str, Any], **retry: Any) -> Ack:
        ack = self.transport.deliver(kind, payload, **retry)
        self.ack_latencies.append(ack.latency)
        if ack.latency > self.ack_deadline:
            raise AssertionError(f"the app took {ack.latency:.2f} s to ack a {kind} request; "
                                 f"Slack gives up after {self.ack_deadline:g} s")
        return ack

    # ---- slash commands ------------------------------------------------------------------------------------
    def slash(self, user: str, command: str, text: str = "", *, channel: str | None = None) -> Ack:
        """`/command text` typed by `user` in `channel` (default: the app's DM). The ack's text or blocks are
        shown to the user as Slack shows them (an ephemeral reply, or in the channel for `in_channel`)."""
        registered = self.fake.manifest.commands.get(command)
        if registered is None:
            raise AssertionError(f"{command} is not in manifest.yml; Slack would never send it")
        channel = channel or self.fake.dm_channel(user)
        trigger_id = self.fake.issue_trigger(user)
        response_url = self.fake.issue_response_url(user, channel)
        payload = payloads.slash_command(
            command=command, text=self._typed_text(text, registered.should_escape), user_id=user,
            user_name=self.fake.user_name(user), channel_id=channel, channel_name=self.fake.channel_name(channel),
            trigger_id=trigger_id, response_url=response_url)
        ack = self._deliver("slash_commands", payload)
        if ack.status == 200 and ack.json:
            self.fake.show_command_reply(user, channel, response_url, ack.json)
        return ack.with_context(trigger_id=trigger_id, response_url=response_url)

    def _typed_text(self, text: str, should_escape: bool) -> str:
        """Slack HTML-escapes &, <, >; with should_escape it also turns @name and #channel into references."""
        text = html.escape(text, quote=False)
        if not should_escape:
            return text

        def mention(match: re.Match[str]) -> str:
            sigil, name = match.group(1), match.group(2)
            if sigil == "@":
                if name in ("here", "channel", "everyone"):
                    return f"<!{name}>"
                user = self.fake.workspace.user_by_name(name)
                return f"<@{user.id}|{name}>" if user else match.group(0)
            channel = self.fake.workspace.conversation_by_ref(name)
            return f"<#{channel.id}|{name}>" if channel and not channel.is_im else match.group(0)

        return re.sub(r"(?<![\w<])([@#])([\w.\-]+)", mention, text)

    # ---- events --------------------------------------------------------------------------------------------
    def event(self, payload: dict[str, Any], retry_num: int | None = None,
              retry_reason: str | None = None) -> EventDelivery:
        """Deliver a bot event (wrapped in an `event_callback` with a fresh event_id) or a whole envelope."""
        if payload.get("type") in ("event_callback", "url_verification", "app_rate_limited"):
            envelope = payload
        else:
            if payload.get("type") not in self.fake.manifest.bot_events:
                raise AssertionError(f"{payload.get('type')} is not subscribed in manifest.yml")
            envelope = payloads.event_callback(payload, now=self.fake.now())
        ack = self._deliver("events_api", envelope, retry_num=retry_num, retry_reason=retry_reason)
        return EventDelivery(ack, envelope)

    def redeliver(self, delivery: EventDelivery | dict[str, Any], retry_num: int = 1,
                  retry_reason: str = "http_timeout") -> EventDelivery:
        """Slack's retry of the same event (same event_id) with X-Slack-Retry-Num / -Reason."""
        envelope = delivery.envelope if isinstance(delivery, EventDelivery) else delivery
        return self.event(envelope, retry_num=retry_num, retry_reason=retry_reason)

    def open_home(self, user: str, *, wait: bool = True, timeout: float = 3.0) -> View | None:
        """The user opens the Home tab; by default waits for the app's views.publish and returns the view."""
        since = self.fake.last_seq
        event: dict[str, Any] = {"type": "app_home_opened", "user": user, "channel": self.fake.dm_channel(user),
                                 "tab": "home"}
        current = self.fake.home(user)
        if current is not None:
            event["view"] = current.body
        self.event(event)
        if not wait:
            return None
        self.fake.wait_for_call("views.publish", after=since, timeout=timeout, user_id=user, ok=True)
        return self.fake.home(user)

    # ---- interactions --------------------------------------------------------------------------------------
    def click(self, user: str, *, on: SurfaceRef, action_id: str, text: str | None = None,
              block_id: str | None = None, value: Any = None, values: dict[str, Any] | None = None,
              button_value: str | None = None) -> Ack:
        """Press (or pick `value` in) an element the app rendered on `on`; `values` is what the user had typed
        into the view's inputs. Sends a real block_actions payload. `button_value` replaces the button's own
        value: a card rendered by another release, or a payload someone crafted."""
        surface = resolve_surface(self.fake, user, on)
        block, element = find_element(surface.blocks, action_id=action_id, text=text, block_id=block_id)
        action = self._action(block, element, value)
        if button_value is not None:
            action["value"] = button_value
        view = surface.view
        trigger_id = self.fake.issue_trigger(user, view.id if view and view.type == "modal" else None)
        state = self._state(view, values or {}, require=False) if view else {}
        base = payloads.interaction_base("block_actions", user_id=user, user_name=self.fake.user_name(user),
                                         trigger_id=trigger_id)
        container, extra = self._container(user, surface, state)
        ack = self._deliver("interactive", payloads.block_actions(base, container=container, action=action,
                                                                   state=state, extra=extra))
        return ack.with_context(trigger_id=trigger_id, response_url=extra.get("response_url"))

    def shortcut(self, user: str, callback_id: str, *, on: SurfaceRef = None) -> Ack:
        """A global shortcut, or with `on=` a message shortcut on that message; both mint a trigger_id."""
        kind = self.fake.manifest.shortcuts.get(callback_id)
        if kind != ("message" if on is not None else "global"):
            raise AssertionError(f"no {'message' if on is not None else 'global'} shortcut {callback_id!r} "
                                 "in manifest.yml")
        trigger_id = self.fake.issue_trigger(user)
        base = payloads.interaction_base("shortcut", user_id=user, user_name=self.fake.user_name(user),
                                         trigger_id=trigger_id)
        if on is None:
            payload = payloads.shortcut(base, callback_id=callback_id, now=self.fake.now())
        else:
            message = resolve_surface(self.fake, user, on).snapshot
            response_url = self.fake.issue_response_url(user, message.channel, source_ts=message.ts)
            payload = payloads.message_shortcut(base, callback_id=callback_id, now=self.fake.now(), message=message,
                                                channel_name=self.fake.channel_name(message.channel),
                                                response_url=response_url)
        return self._deliver("interactive", payload).with_context(trigger_id=trigger_id)

    def _action(self, block: dict, element: dict, value: Any) -> dict[str, Any]:
        action = {"action_id": element["action_id"], "block_id": block["block_id"], "type": element["type"],
                  "action_ts": f"{self.fake.now():.6f}"}
        if element["type"] in ("button", "workflow_button"):
            if value is not None:
                raise AssertionError("a button has no value to choose; its value comes from the rendering")
            action.update({k: element[k] for k in ("text", "value", "style", "url") if k in element})
            return action
        if value is None:
            raise AssertionError(f"pick something in the {element['type']} with value=")
        typed = typed_value(element, value)
        typed.pop("type")
        return {**action, **typed}

    def _container(self, user: str, surface: Surface, state: dict) -> tuple[dict, dict]:
        snap = surface.snapshot
        if surface.kind == "view":
            return {"type": "view", "view_id": snap.id}, {"view": payloads.view_with_state(snap, state)}
        ephemeral = surface.kind == "ephemeral"
        ts = snap.message_ts if ephemeral else snap.ts
        response_url = self.fake.issue_response_url(user, snap.channel, source_ts=ts, source_is_ephemeral=ephemeral)
        extra: dict[str, Any] = {"channel": {"id": snap.channel, "name": self.fake.channel_name(snap.channel)},
                                 "response_url": response_url}
        if not ephemeral:
            extra["message"] = payloads.message_json(snap)
        container = {"type": "message", "message_ts": ts, "channel_id": snap.channel, "is_ephemeral": ephemeral}
        return container, extra

    def _state(self, view: View, values: dict[str, Any], *, require: bool) -> dict[str, dict]:
        """state.values of a view: every input block, filled from `values` {block_id: value | {action_id: v}}."""
        inputs = {block["block_id"]: (block, element) for block, element in input_elements(view.blocks)}
        unknown = set(values) - set(inputs)
        if unknown:
            raise AssertionError(f"no input blocks {sorted(unknown)} in view {view.id}; inputs: {sorted(inputs)}")
        previous = view.body.get("state", {}).get("values", {})
        state: dict[str, dict] = {}
        for block_id, (block, element) in inputs.items():
            action_id = element["action_id"]
            entered = values.get(block_id)
            if isinstance(entered, dict) and set(entered) == {action_id}:
                entered = entered[action_id]
            if block_id in values:
                typed = typed_value(element, entered)
            else:
                typed = previous.get(block_id, {}).get(action_id) or empty_value(element)
            if require and is_empty(typed) and not block.get("optional"):
                raise AssertionError(f"input {block_id!r} is required; Slack would not submit the form")
            state[block_id] = {action_id: typed}
        return state

    def submit(self, user: str, view_id: str, values: dict[str, Any] | None = None, *,
               forged: dict[str, dict[str, Any]] | None = None) -> Submission:
        """Submit the user's top modal with `values` {block_id: value}; applies the app's response_action.
        `forged` {block_id: element state} replaces what the form would send (an option it never offered):
        a crafted payload, still signed."""
        stack = self.fake.modal_stack(user)
        if not stack or stack[-1].id != view_id:
            raise AssertionError(f"{view_id} is not the top modal of {user} (stack: {[v.id for v in stack]})")
        view = stack[-1]
        if not view.body.get("submit"):
            raise AssertionError(f"view {view_id} has no submit button")
        state = self._state(view, values or {}, require=not forged)
        for block_id, element_state in (forged or {}).items():
            state[block_id] = {next(iter(state[block_id])): element_state}
        self.fake.record_view_state(view_id, state)
        trigger_id = self.fake.issue_trigger(user, view_id)
        base = payloads.interaction_base("view_submission", user_id=user, user_name=self.fake.user_name(user),
                                         trigger_id=trigger_id)
        ack = self._deliver("interactive", payloads.view_submission(base, view, state))
        if ack.status != 200:
            raise AssertionError(f"view_submission answered HTTP {ack.status}: {ack.body!r}")
        answer = ack.json
        top = self.fake.apply_submission_answer(view_id, answer)
        errors = answer.get("errors") or {} if answer.get("response_action") == "errors" else {}
        return Submission(ack.with_context(trigger_id=trigger_id), answer.get("response_action"), errors, top)

    def close(self, user: str, view_id: str) -> Ack | None:
        """The user closes a modal; Slack sends view_closed only if the view asked for notify_on_close."""
        view = next((v for v in self.fake.modal_stack(user) if v.id == view_id), None)
        if view is None:
            raise AssertionError(f"{view_id} is not an open modal of {user}")
        self.fake.close_view(view_id)
        if not view.body.get("notify_on_close"):
            return None
        base = payloads.interaction_base("view_closed", user_id=user, user_name=self.fake.user_name(user),
                                         trigger_id="")
        return self._deliver("interactive", payloads.view_closed(base, view))

    def suggest(self, user: str, view_id: SurfaceRef, action_id: str, query: str) -> list[dict]:
        """Type `query` into an external select; returns the options the app offered (≤100, validated)."""
        surface = resolve_surface(self.fake, user, view_id)
        block, element = find_element(surface.blocks, action_id=action_id, types=SUGGESTION_ELEMENTS)
        if len(query) < element.get("min_query_length", 3):
            raise AssertionError(f"Slack asks for options only from {element.get('min_query_length', 3)} characters")
        base = payloads.interaction_base("block_suggestion", user_id=user, user_name=self.fake.user_name(user),
                                         trigger_id="")
        state = self._state(surface.view, {}, require=False) if surface.view else {}
        container, extra = self._container(user, surface, state)
        ack = self._deliver("interactive", payloads.block_suggestion(
            base, container=container, block_id=block["block_id"], action_id=action_id, query=query, extra=extra))
        problems = blockkit.suggestion_errors(ack.json)
        if ack.status != 200 or problems:
            raise AssertionError(f"block_suggestion answer refused by Slack: HTTP {ack.status} {problems}")
        groups = ack.json.get("option_groups")
        return [o for g in groups for o in g.get("options", [])] if groups else list(ack.json.get("options", []))
