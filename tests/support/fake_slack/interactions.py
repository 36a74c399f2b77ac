"""What Slack does on its own side of an interaction, called by SlackSim (never by the app).

Slack mints a trigger_id and a response_url for each interaction, shows a slash command's immediate answer as a
reply, and applies a view_submission's `response_action` to the user's modal stack. Every method here runs under
the workspace lock and raises AssertionError when the app answered something Slack would refuse.
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.support import blockkit
from tests.support.fake_slack.methods.common import fill_generated_ids
from tests.support.fake_slack.snapshots import View
from tests.support.fake_slack.state import (
    BOT_USER_ID, MAX_MODAL_STACK, EphemeralRecord, MessageRecord, ResponseUrl, ViewRecord, Workspace,
)


class FakeSlackInteractions:
    workspace: Workspace
    url: str

    def dm_channel(self, user_id: str) -> str:
        """The id of the app's DM with a user (the App Home Messages tab), opened if need be."""
        with self.workspace.lock:
            return self.workspace.im_with(user_id)[0].id

    def user_name(self, user_id: str) -> str:
        with self.workspace.lock:
            user = self.workspace.users.get(user_id)
            if user is None:
                raise AssertionError(f"unknown user {user_id}: seed it with fake.add_user first")
            return user.name

    def channel_name(self, channel_id: str) -> str:
        with self.workspace.lock:
            conversation = self.workspace.conversations.get(channel_id)
            if conversation is None:
                raise AssertionError(f"unknown channel {channel_id}: seed it with fake.add_channel first")
            return "directmessage" if conversation.is_im else conversation.name

    def sees_channel(self, user_id: str, channel_id: str) -> bool:
        with self.workspace.lock:
            conversation = self.workspace.conversations.get(channel_id)
            return conversation is not None and user_id in conversation.members

    def issue_trigger(self, user_id: str, view_id: str | None = None) -> str:
        with self.workspace.lock:
            return self.workspace.new_trigger(user_id, view_id).id

    def issue_response_url(self, user_id: str, channel_id: str, *, source_ts: str | None = None,
                           source_is_ephemeral: bool = False) -> str:
        with self.workspace.lock:
            url_id = secrets.token_urlsafe(12)
            self.workspace.response_urls[url_id] = ResponseUrl(
                id=url_id, user=user_id, channel=channel_id, issued_at=self.workspace.now(),
                source_ts=source_ts, source_is_ephemeral=source_is_ephemeral)
        return f"{self.url}/response_url/{url_id}"

    def show_command_reply(self, user_id: str, channel_id: str, response_url: str, body: dict[str, Any]) -> None:
        """A slash command's ack body is shown at once: ephemeral, or in the channel for `in_channel`."""
        text, blocks = body.get("text"), body.get("blocks")
        if not text and not blocks:
            return
        problems = blockkit.message_errors(blocks, text)
        if problems:
            raise AssertionError(f"slash command answer has invalid blocks: {problems}")
        ws = self.workspace
        with ws.lock:
            blocks = fill_generated_ids(blocks or [])
            if body.get("response_type") == "in_channel":
                message = MessageRecord(channel=channel_id, ts=ws.next_ts(), user=BOT_USER_ID, text=text or "",
                                        blocks=blocks)
                ws.messages[(channel_id, message.ts)] = message
                ts, ephemeral = message.ts, False
            else:
                reply = EphemeralRecord(message_ts=ws.next_ts(), channel=channel_id, user=user_id,
                                        text=text or "", blocks=blocks, source="ack")
                ws.ephemerals.append(reply)
                ts, ephemeral = reply.message_ts, True
            record = ws.response_urls[response_url.rsplit("/", 1)[-1]]
            record.source_ts, record.source_is_ephemeral = ts, ephemeral  # replace_original now targets it

    def record_view_state(self, view_id: str, values: dict[str, dict]) -> None:
        with self.workspace.lock:
            self.workspace.views[view_id].state_values = values

    def apply_submission_answer(self, view_id: str, body: dict[str, Any] | None) -> View | None:
        """Apply a view_submission ack to the stack; returns the view now on top (None when all closed)."""
        ws = self.workspace
        body = body or {}
        action = body.get("response_action")
        with ws.lock:
            record = ws.views[view_id]
            stack = ws.modal_stacks.get(record.user, [])
            if action == "errors":
                problems = blockkit.response_errors_problems(record.body, body.get("errors"))
                if problems:
                    raise AssertionError(f"response_action=errors names unknown input blocks: {problems}")
            elif action == "update":
                record.body, record.hash = _answered_view(body), ws.new_hash()
                record.state_values = {}
            elif action == "push":
                if len(stack) >= MAX_MODAL_STACK:
                    raise AssertionError("response_action=push beyond the 3-view stack (push_limit_reached)")
                pushed = ViewRecord(id=ws.next_id("V"), user=record.user, body=_answered_view(body),
                                    hash=ws.new_hash(), root_view_id=stack[0], previous_view_id=stack[-1])
                ws.views[pushed.id] = pushed
                stack.append(pushed.id)
            elif action == "clear":
                self._close_views(record.user, stack)
            elif action is None:
                self._close_views(record.user, stack[stack.index(view_id):] if view_id in stack else [view_id])
            else:
                raise AssertionError(f"unknown response_action {action!r}")
            top = ws.modal_stacks.get(record.user) or []
            return View.of(ws.views[top[-1]]) if top else None

    def close_view(self, view_id: str) -> None:
        """The user pressed Close (or ×): the view goes; `clear_on_close` takes the whole stack with it."""
        ws = self.workspace
        with ws.lock:
            record = ws.views[view_id]
            stack = ws.modal_stacks.get(record.user, [])
            doomed = stack if record.body.get("clear_on_close") else stack[stack.index(view_id):]
            self._close_views(record.user, doomed)

    def _close_views(self, user_id: str, view_ids: list[str]) -> None:
        ws = self.workspace
        for view_id in list(view_ids):
            ws.views[view_id].closed = True
        ws.modal_stacks[user_id] = [v for v in ws.modal_stacks.get(user_id, []) if v not in view_ids]


def _answered_view(body: dict[str, Any]) -> dict:
    view = body.get("view")
    problems = blockkit.view_errors(view)
    if problems or not isinstance(view, dict) or view.get("type") != "modal":
        raise AssertionError(f"response_action={body.get('response_action')} carries an invalid modal: {problems}")
    view = dict(view)
    view["blocks"] = fill_generated_ids(view.get("blocks", []))
    return view
