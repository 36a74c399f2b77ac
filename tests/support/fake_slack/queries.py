"""What tests read back from the fake: the call log, what each user sees, and the no-silent-errors check."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support.fake_slack.server import Call
from tests.support.fake_slack.snapshots import Ephemeral, Message, View
from tests.support.fake_slack.state import Workspace

SURFACES = ("message", "ephemeral", "home", "modal")


class FakeSlackQueries:
    workspace: Workspace
    _calls: list[Call]
    _warnings: list[tuple[str, str]]

    def is_expected(self, call: Call) -> bool:  # provided by FakeSlack
        raise NotImplementedError

    # ---- the call log --------------------------------------------------------------------------------------
    def calls(self, method: str | None = None, **match: Any) -> list[Call]:
        """Calls in order, filtered by method and by argument values (`ts="…"`), or `ok=` / `error=`.
        A callable value is used as a predicate on the argument."""
        with self.workspace.lock:
            return [c for c in self._calls if (method is None or c.method == method) and _matches(c, match)]

    def count(self, method: str, **match: Any) -> int:
        return len(self.calls(method, **match))

    def wait_for_call(self, method: str, *, timeout: float = 15.0, after: int = 0, **match: Any) -> Call:
        """The first matching call with `seq > after`, waiting for it: listeners run after the ack."""
        found: list[Call] = []

        def arrived() -> bool:
            found[:] = [c for c in self._calls if c.seq > after and c.method == method and _matches(c, match)]
            return bool(found)

        with self.workspace.changed:
            if not self.workspace.changed.wait_for(arrived, timeout):
                seen = [f"{c.method}({c.error or 'ok'})" for c in self._calls if c.seq > after]
                raise AssertionError(f"no {method} call matching {match} within {timeout} s; saw {seen}")
            return found[0]

    def wait_until(self, condition: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition") -> Any:
        """Poll a query (re-run on every call the app makes) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        with self.workspace.changed:
            while True:
                value = condition()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what} not reached within {timeout} s")
                self.workspace.changed.wait(min(remaining, 0.05))

    @property
    def last_seq(self) -> int:
        with self.workspace.lock:
            return len(self._calls)

    # ---- what users see ------------------------------------------------------------------------------------
    def message(self, channel: str, ts: str) -> Message | None:
        with self.workspace.lock:
            record = self.workspace.messages.get((channel, ts))
            return Message.of(record) if record else None

    def messages_in(self, channel: str) -> list[Message]:
        with self.workspace.lock:
            records = [m for (c, _), m in self.workspace.messages.items() if c == channel and not m.deleted]
            return [Message.of(m) for m in sorted(records, key=lambda m: float(m.ts))]

    def dm(self, user_id: str) -> list[Message]:
        """Messages in the app's DM with the user (empty if it was never opened)."""
        with self.workspace.lock:
            im = next((c for c in self.workspace.conversations.values() if c.im_user == user_id), None)
            return self.messages_in(im.id) if im else []

    def ephemerals(self, user_id: str, channel: str | None = None) -> list[Ephemeral]:
        with self.workspace.lock:
            return [Ephemeral.of(e) for e in self.workspace.ephemerals
                    if e.user == user_id and not e.deleted and (channel is None or e.channel == channel)]

    def home(self, user_id: str) -> View | None:
        with self.workspace.lock:
            view_id = self.workspace.homes.get(user_id)
            return View.of(self.workspace.views[view_id]) if view_id else None

    def modal_stack(self, user_id: str) -> list[View]:
        """The user's open modals, root first (at most 3)."""
        with self.workspace.lock:
            return [View.of(self.workspace.views[v]) for v in self.workspace.modal_stacks.get(user_id, [])]

    def view(self, view_id: str) -> View | None:
        with self.workspace.lock:
            record = self.workspace.views.get(view_id)
            return View.of(record) if record else None

    def find_text(self, text: str, *, surface: str | None = None, user: str | None = None
                  ) -> list[Message | Ephemeral | View]:
        """Everything currently shown whose visible text contains `text` (case-insensitive)."""
        if surface is not None and surface not in SURFACES:
            raise ValueError(f"surface is one of {SURFACES}")
        needle = text.lower()
        with self.workspace.lock:
            shown = [s for s in self._shown(user) if surface in (None, _surface_of(s))]
            return [s for s in shown if needle in s.visible_text.lower()]

    def _shown(self, user: str | None) -> list[Message | Ephemeral | View]:
        ws = self.workspace
        shown: list[Message | Ephemeral | View] = []
        for record in ws.messages.values():
            members = ws.conversations[record.channel].members if record.channel in ws.conversations else set()
            if not record.deleted and (user is None or user in members):
                shown.append(Message.of(record))
        shown += [Ephemeral.of(e) for e in ws.ephemerals if not e.deleted and user in (None, e.user)]
        shown += [View.of(ws.views[v]) for u, v in ws.homes.items() if user in (None, u)]
        shown += [View.of(ws.views[v]) for u, stack in ws.modal_stacks.items() if user in (None, u) for v in stack]
        return shown

    # ---- nothing may fail silently -------------------------------------------------------------------------
    @property
    def warnings(self) -> list[tuple[str, str]]:
        with self.workspace.lock:
            return list(self._warnings)

    def accept_warnings(self) -> list[tuple[str, str]]:
        """Take the warnings so far as intended (a test that provokes one on purpose); returns them."""
        with self.workspace.lock:
            taken, self._warnings[:] = list(self._warnings), []
            return taken

    def unexpected_errors(self) -> list[Call]:
        with self.workspace.lock:
            return [c for c in self._calls if not c.ok and not self.is_expected(c)]

    def assert_no_unexpected_errors(self, *, warnings: bool = True) -> None:
        """Fail on any ok:false (or 4xx/5xx) answer the test neither injected nor declared with expect_error,
        and, unless `warnings=False`, on payload warnings such as blocks sent without a fallback `text`."""
        problems = [f"#{c.seq} {c.method} -> {c.error} args={_short(c.args)}" for c in self.unexpected_errors()]
        if warnings:
            problems += [f"{method}: {message}" for method, message in self.warnings]
        if problems:
            raise AssertionError("Slack calls the test did not expect:\n  " + "\n  ".join(problems))


def _matches(call: Call, match: dict[str, Any]) -> bool:
    for key, expected in match.items():
        if key == "ok":
            actual: Any = call.ok
        elif key == "error":
            actual = call.error
        else:
            actual = call.args.get(key)
        if callable(expected):
            if not expected(actual):
                return False
        elif actual != expected and str(actual) != str(expected):
            return False
    return True


def _surface_of(snapshot: Message | Ephemeral | View) -> str:
    if isinstance(snapshot, View):
        return snapshot.type if snapshot.type == "home" else "modal"
    return "message" if isinstance(snapshot, Message) else "ephemeral"


def _short(args: dict[str, Any]) -> str:
    text = repr({k: v for k, v in args.items() if k not in ("blocks", "view")})
    return text if len(text) < 200 else text[:197] + "..."
