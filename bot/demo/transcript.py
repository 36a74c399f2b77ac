"""What the demo prints: every message, update and modal the bot sent to the stand-in Slack, as
text, with who sees it. It reads the fake's call log (and the slash-command replies, which travel
in the HTTP answer rather than as calls), so it shows exactly what the bot really sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.demo.blocktext import readable, render_blocks

SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "views.push",
         "response_url", "views.publish")


def _same_surface(a, b) -> bool:
    """Two redraws of one message (or of one App Home) in the same step."""
    if a.method == b.method == "chat.update":
        return (a.args.get("channel"), a.args.get("ts")) == (b.args.get("channel"), b.args.get("ts"))
    return a.method == b.method == "views.publish" and a.args.get("user_id") == b.args.get("user_id")


class Transcript:
    def __init__(self, fake, names: Mapping[str, str], out: Callable[[str], None] = print):
        self.fake, self.names, self.out = fake, names, out
        self._seq = 0
        self._replies = 0

    def step(self, text: str) -> None:
        self.flush()
        self.out(f"\n▶ {text}")

    def note(self, text: str) -> None:
        self.flush()
        self.out(f"  ({text})")

    def flush(self) -> None:
        """Print what Slack showed since the last flush."""
        for reply in self._new_replies():
            self._show(f"only {self._who(reply.user)} sees (reply to the command)", reply.text, reply.blocks)
        calls = [c for c in self.fake.calls() if c.seq > self._seq]
        self._seq = calls[-1].seq if calls else self._seq
        shown = [c for c in calls if c.method in SHOWN and c.ok]
        for index, call in enumerate(shown):
            later = [c for c in shown[index + 1:] if _same_surface(c, call)]
            if later:
                continue  # redrawn again in this step: show its last state once
            self._call(call.method, call.args, call.response)
            redraws = sum(1 for c in shown[:index] if _same_surface(c, call))
            if redraws and call.method == "chat.update":
                self.out(f"    (redrawn {redraws + 1} times during this step; this is the last)")

    def _new_replies(self) -> list[Any]:
        with self.fake.workspace.lock:
            replies = [e for e in self.fake.workspace.ephemerals if e.source == "ack"]
        new, self._replies = replies[self._replies:], len(replies)
        return new

    def show_view(self, view, where: str) -> None:
        """A modal as Slack shows it after the bot answered a submission (the answer travels in the ack)."""
        if view is not None:
            self._show(f"modal “{view.title}” {where} for {self._who(view.user)}", "", view.blocks,
                       submit=(view.body.get("submit") or {}).get("text"))

    def _call(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> None:
        if method == "views.publish":
            self.out(f"  🏠 {self._who(args.get('user_id'))}'s App Home was redrawn")
            return
        if method.startswith("views."):
            view = args.get("view") or {}
            view = view if isinstance(view, dict) else {}
            user = (response.get("view") or {}).get("user_id") or self._view_user(response)
            title = (view.get("title") or {}).get("text", "")
            verb = {"views.open": "opens", "views.update": "now shows", "views.push": "opens on top"}[method]
            self._show(f"modal “{title}” {verb} for {self._who(user)}", "", view.get("blocks", []),
                       submit=(view.get("submit") or {}).get("text"))
            return
        where = self._where(method, args, response)
        self._show(where, args.get("text", ""), args.get("blocks") or [])

    def _where(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> str:
        if method == "response_url":
            with self.fake.workspace.lock:
                record = self.fake.workspace.response_urls.get(args.get("url_id"))
            user = record.user if record else None
            return f"only {self._who(user)} sees"
        if method == "chat.postEphemeral":
            return f"only {self._who(args.get('user'))} sees"
        channel = response.get("channel") or args.get("channel")
        place = self._place(channel)
        if method == "chat.update":
            return f"{place}: the message is redrawn"
        return f"{place}: new message" + (" (in the thread)" if args.get("thread_ts") else "")

    def _place(self, channel: str | None) -> str:
        with self.fake.workspace.lock:
            conversation = self.fake.workspace.conversations.get(channel)
        if conversation is not None and conversation.is_im:
            return f"DM to {self._who(conversation.im_user)}"
        return f"#{conversation.name}" if conversation is not None else f"channel {channel}"

    def _view_user(self, response: dict[str, Any]) -> str | None:
        view_id = (response.get("view") or {}).get("id")
        snapshot = self.fake.view(view_id) if view_id else None
        return snapshot.user if snapshot else None

    def _who(self, user_id: str | None) -> str:
        return self.names.get(user_id or "", user_id or "someone")

    def _show(self, where: str, text: str, blocks: list[dict], submit: str | None = None) -> None:
        self.out(f"  ┌─ {where}")
        lines = render_blocks(blocks, self.names) if blocks else readable(text, self.names).splitlines()
        if submit:
            lines.append(f"[{submit}]")
        for line in lines:
            self.out(f"  │ {line}")
        self.out("  └" + "─" * 40)
