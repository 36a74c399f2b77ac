"""A small stateful Slack Web API for user groups: a real HTTP server on 127.0.0.1.

Follows api.slack.com/methods/usergroups.* and users.lookupByEmail:
* Every answer is HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``;
  throttling is HTTP 429 with Retry-After.
* ``usergroups.users.update`` REPLACES the member list with ``users`` (comma-separated ids). It
  cannot empty a group: an empty list answers ``invalid_users`` and yet takes effect, as observed
  in app-sre/qontract-reconcile#1788 (this fake copies that, so a client that sends it is caught).
  Unknown, deactivated, bot or guest ids → ``invalid_users`` and no change.
* ``usergroups.disable`` sets ``date_delete`` and ``deleted_by`` (the caller); ``enable`` clears them.
  ``usergroups.list`` hides disabled groups unless ``include_disabled``; so does ``usergroups.users.list``.
* ``auth.test`` answers the token's user and its scopes in ``x-oauth-scopes``.
* Rate limits (api.slack.com/docs/rate-limits): every usergroups.* method is Tier 2, "20+ per
  minute" per method, workspace and app. ``tier2_per_minute`` enforces that: a method called more
  often within any 60 s answers HTTP 429 ``ratelimited`` with Retry-After until its window clears.

``list_delay`` makes usergroups.users.list slow, and ``sync_readers(n)`` holds the next n
usergroups.users.list calls until all n have arrived, so a test can force two writers to read
the same list, the start of a lost update, without relying on timing. ``hold_next_read_until``
holds one read until a condition of the test's choosing holds (e.g. "the other writer is waiting
on the lock"), so a test can put a second writer in the middle of the first one's change.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
SCOPES = "usergroups:read,usergroups:write,users:read,users:read.email"


class SlackUsergroupsFake:
    def __init__(self, *, token: str = TOKEN, scopes: str | None = SCOPES):
        self.token, self.scopes = token, scopes
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.list_delay = 0.0
        self.throttle: list[int] = []  # Retry-After values for the next requests
        self.tier2_per_minute: int | None = None
        self._tier2_calls: dict[str, list[float]] = {}
        self._readers: tuple[threading.Barrier, list[int]] | None = None
        self._reads_wait_for: tuple[threading.Event, list[int]] | None = None
        self._held_read: tuple[Callable[[], bool], threading.Event] | None = None
        self.held_read_timed_out = False
        self.lock = threading.RLock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}/api/"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- seeding and inspection ----------------------------------------------------------------
    def add_user(self, user_id: str, email: str, **flags: bool) -> None:
        self.users[user_id] = {"id": user_id, "name": email.split("@")[0], "deleted": False, "is_bot": False,
                               "is_restricted": False, "is_ultra_restricted": False, "profile": {"email": email},
                               **flags}

    def add_group(self, group_id: str, handle: str, users: list[str], *, auto_type: str | None = None) -> None:
        self.groups[group_id] = {"id": group_id, "team_id": "T1", "is_usergroup": True, "name": handle.title(),
                                 "handle": handle, "auto_type": auto_type, "date_create": 1, "date_update": 1,
                                 "date_delete": 0, "created_by": "U0", "updated_by": "U0", "deleted_by": None,
                                 "users": list(users)}

    def sync_readers(self, count: int) -> None:
        self._readers = (threading.Barrier(count, timeout=5), [count])

    def hold_later_reads_until_updates(self, count: int) -> None:
        """Reads after the synchronised ones wait until ``count`` updates were made (deterministic races)."""
        self._reads_wait_for = (threading.Event(), [count])

    def hold_next_read_until(self, release: Callable[[], bool], *, timeout: float = 30.0) -> threading.Event:
        """The next usergroups.users.list waits, before reading, until ``release()`` is true.

        Returns an event set once that read is waiting. After ``timeout`` seconds the read goes on
        and ``held_read_timed_out`` is set, so a test can tell "released" from "gave up".
        """
        waiting = threading.Event()
        self._held_read = (release, waiting)
        self._held_read_timeout = timeout
        return waiting

    def _hold_if_asked(self) -> None:
        with self.lock:
            held, self._held_read = self._held_read, None
        if held is None:
            return
        release, waiting = held
        waiting.set()
        deadline = time.monotonic() + self._held_read_timeout
        while not release():
            if time.monotonic() > deadline:
                self.held_read_timed_out = True
                return
            time.sleep(0.01)

    def _claim_synchronised_read(self) -> threading.Barrier | None:
        """The barrier to meet at when this read is one of the synchronised readers."""
        with self.lock:
            if self._readers is None or self._readers[1][0] == 0:
                return None
            barrier, left = self._readers
            left[0] -= 1
            return barrier

    def _wait_for_updates(self) -> None:
        if self._reads_wait_for is not None:
            self._reads_wait_for[0].wait(timeout=5)

    def _count_update(self) -> None:
        if self._reads_wait_for is not None:
            event, left = self._reads_wait_for
            left[0] -= 1
            if left[0] <= 0:
                event.set()

    def members(self, group_id: str) -> list[str]:
        return list(self.groups[group_id]["users"])

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    # -- the Web API ---------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                params = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                self._serve(params)

            def do_GET(self):  # noqa: N802
                self._serve({k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()})

            def _serve(self, params: dict[str, str]) -> None:
                method = urlparse(self.path).path.rsplit("/", 1)[-1]
                status, body, headers = fake.dispatch(method, params, self.headers.get("authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"content-type": "application/json; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def dispatch(self, method: str, params: dict[str, str], authorization: str):
        with self.lock:
            self.calls.append((method, params))
            if self.throttle:
                return 429, {"ok": False, "error": "ratelimited"}, {"retry-after": str(self.throttle.pop(0))}
            limited = self._over_tier2(method)
            if limited is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"retry-after": str(limited)}
        if authorization != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        barrier = None
        if method == "usergroups.users.list":  # outside the lock: concurrent readers really overlap
            self._hold_if_asked()
            barrier = self._claim_synchronised_read()
            if barrier is None:
                self._wait_for_updates()
            time.sleep(self.list_delay)
        with self.lock:
            body = handler(params)
        if barrier is not None:
            # The snapshot is taken before meeting: no synchronised reader can see another's write,
            # however the threads are scheduled after the barrier opens.
            barrier.wait()
        headers = {"x-oauth-scopes": self.scopes} if method == "auth.test" and self.scopes is not None else {}
        return 200, body, headers

    def _over_tier2(self, method: str) -> int | None:
        """Seconds until ``method`` may be called again, when this call would exceed Tier 2."""
        if self.tier2_per_minute is None or not method.startswith("usergroups."):
            return None
        now = time.monotonic()
        recent = [t for t in self._tier2_calls.get(method, []) if now - t < 60]
        if len(recent) >= self.tier2_per_minute:
            self._tier2_calls[method] = recent
            return int(60 - (now - recent[0])) + 1
        self._tier2_calls[method] = [*recent, now]
        return None

    @staticmethod
    def _fail(error: str) -> dict[str, Any]:
        return {"ok": False, "error": error}

    def _auth_test(self, params):
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "accessbot", "team_id": "T1",
                "user_id": BOT_USER, "bot_id": "B1"}

    def _users_lookupByEmail(self, params):  # noqa: N802 (Slack's method name)
        user = next((u for u in self.users.values() if u["profile"]["email"] == params.get("email", "").lower()), None)
        return {"ok": True, "user": user} if user else self._fail("users_not_found")

    def _group(self, params) -> dict[str, Any] | None:
        group = self.groups.get(params.get("usergroup", ""))
        if group and group["date_delete"] and params.get("include_disabled") != "true":
            return None
        return group

    def _public(self, group: dict[str, Any], with_users: bool) -> dict[str, Any]:
        shown = {k: v for k, v in group.items() if k != "users"}
        return {**shown, "users": list(group["users"])} if with_users else shown

    def _usergroups_list(self, params):
        shown = [self._public(g, params.get("include_users") == "true") for g in self.groups.values()
                 if not g["date_delete"] or params.get("include_disabled") == "true"]
        return {"ok": True, "usergroups": shown}

    def _usergroups_users_list(self, params):
        group = self._group(params)
        return {"ok": True, "users": list(group["users"])} if group else self._fail("no_such_subteam")

    def _usergroups_users_update(self, params):
        group = self._group({**params, "include_disabled": "true"})
        if group is None:
            return self._fail("no_such_subteam")
        wanted = [u for u in dict.fromkeys(params.get("users", "").split(",")) if u]
        if not wanted:
            group["users"] = []  # Slack's observed behaviour: refuses, yet empties the group
            return self._fail("invalid_users")
        usable = [u for u in wanted if u in self.users and not any(
            self.users[u][flag] for flag in ("deleted", "is_bot", "is_restricted", "is_ultra_restricted"))]
        if len(usable) != len(wanted):
            return self._fail("invalid_users")
        group["users"], group["date_update"] = wanted, int(time.time())
        self._count_update()
        return {"ok": True, "usergroup": self._public(group, True)}

    def _usergroups_disable(self, params):
        group = self._group(params)
        if group is None:
            return self._fail("no_such_subteam")
        group["date_delete"], group["deleted_by"] = int(time.time()), BOT_USER
        return {"ok": True, "usergroup": self._public(group, False)}

    def _usergroups_enable(self, params):
        group = self._group({**params, "include_disabled": "true"})
        if group is None:
            return self._fail("no_such_subteam")
        group["date_delete"], group["deleted_by"] = 0, None
        return {"ok": True, "usergroup": self._public(group, False)}
