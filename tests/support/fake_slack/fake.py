"""FakeSlack: a stateful, validating Slack Web API on 127.0.0.1:0 for tests.

    with FakeSlack.start() as fake:                 # reads ./manifest.yml for scopes and features
        fake.add_user("U1", "ann@example.com", "ann")
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        ...
        fake.assert_no_unexpected_errors()

Seeding (users, channels, user groups), forced outcomes and expected errors live here; what SlackSim needs to
play an interaction is in interactions.py, what tests read back is in queries.py.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.fake_slack.interactions import FakeSlackInteractions
from tests.support.fake_slack.manifest import AppManifest
from tests.support.fake_slack.methods import HANDLERS
from tests.support.fake_slack.outcomes import Outcome
from tests.support.fake_slack.queries import FakeSlackQueries
from tests.support.fake_slack.server import Call, FakeSlackServer
from tests.support.fake_slack.socket_mode import SocketModeLink
from tests.support.fake_slack.state import BOT_USER_ID, Conversation, User, Usergroup, Workspace, to_seconds

DEFAULT_MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"
BOT_TOKEN = "xoxb-0000000001-fake-bot-token"
APP_TOKEN = "xapp-1-A0FAKEAPP1-fake-app-token"


class FakeSlack(FakeSlackInteractions, FakeSlackQueries):
    def __init__(self, manifest_path: str | Path = DEFAULT_MANIFEST, *, clock: Any = None,
                 scopes: Iterable[str] | None = None, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN):
        """`clock` is any object with `now()` returning a datetime or epoch seconds; real time by default.
        `scopes` overrides the manifest's bot scopes (to test how the app copes with a missing grant)."""
        self.manifest = AppManifest.load(manifest_path)
        self.scopes = frozenset(scopes) if scopes is not None else self.manifest.bot_scopes
        self.bot_token, self.app_token = bot_token, app_token
        self.usergroups_writable = True  # False: usergroups.users.update answers permission_denied
        self._clock = clock
        self.workspace = Workspace(self.now)
        self.socket_link = SocketModeLink(self)
        self._outcomes: dict[str, deque[Outcome]] = defaultdict(deque)
        self._expected_errors: set[tuple[str, str]] = set()
        self._calls: list[Call] = []
        self._warnings: list[tuple[str, str]] = []
        self._server: FakeSlackServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, manifest_path: str | Path = DEFAULT_MANIFEST, **options: Any) -> FakeSlack:
        fake = cls(manifest_path, **options)
        fake._server = FakeSlackServer(fake)
        fake._thread = threading.Thread(target=fake._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-slack", daemon=True)
        fake._thread.start()
        return fake

    def stop(self) -> None:
        if self._server is None:
            return
        self.socket_link.close_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running: use FakeSlack.start()")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The `base_url` for WebClient; the trailing slash matters (urljoin drops a last path segment)."""
        return f"{self.url}/api/"

    def now(self) -> float:
        return to_seconds(self._clock.now()) if self._clock is not None else time.time()

    # ---- seeding -------------------------------------------------------------------------------------------
    def add_user(self, id: str, email: str | None, name: str, *, tz: str = "UTC", is_bot: bool = False,  # noqa: A002
                 deleted: bool = False, email_confirmed: bool = True, real_name: str | None = None,
                 is_restricted: bool = False, is_ultra_restricted: bool = False, is_admin: bool = False) -> User:
        ZoneInfo(tz)  # an unknown zone fails here, at seeding, not later inside users.info
        with self.workspace.lock:
            return self.workspace.add_user(User(
                id=id, email=email, name=name, real_name=real_name or name.replace(".", " ").title(), tz=tz,
                is_bot=is_bot, deleted=deleted, email_confirmed=email_confirmed, is_restricted=is_restricted,
                is_ultra_restricted=is_ultra_restricted, is_admin=is_admin))

    def deactivate_user(self, user_id: str) -> None:
        with self.workspace.lock:
            self.workspace.users[user_id].deleted = True

    def add_channel(self, id: str, name: str, members: Iterable[str] = (), *, is_private: bool = False,  # noqa: A002
                    bot_is_member: bool = True) -> Conversation:
        members = set(members) | ({BOT_USER_ID} if bot_is_member else set())
        with self.workspace.lock:
            unknown = members - set(self.workspace.users)
            if unknown:
                raise ValueError(f"add the users first: {sorted(unknown)}")
            channel = Conversation(id=id, name=name, members=members, is_private=is_private,
                                   created=int(self.now()))
            self.workspace.conversations[id] = channel
            return channel

    def add_usergroup(self, id: str, handle: str, users: Iterable[str] = (), *, name: str | None = None,  # noqa: A002
                      disabled: bool = False) -> Usergroup:
        with self.workspace.lock:
            group = Usergroup(id=id, handle=handle, name=name or handle, users=list(users), disabled=disabled,
                              date_create=int(self.now()), date_update=int(self.now()))
            self.workspace.usergroups[id] = group
            return group

    def usergroup_members(self, usergroup_id: str) -> list[str]:
        with self.workspace.lock:
            return list(self.workspace.usergroups[usergroup_id].users)

    # ---- forced outcomes and expected errors --------------------------------------------------------------
    def inject(self, method: str, *outcomes: Outcome) -> None:
        """Queue outcomes for the next calls of `method`, one call each, e.g.
        `fake.inject("chat.postMessage", Outcome.rate_limited(retry_after=1))`."""
        if method not in HANDLERS:
            raise ValueError(f"unknown Web API method {method!r}")
        with self.workspace.lock:
            self._outcomes[method].extend(outcomes)

    def next_outcome(self, method: str) -> Outcome | None:
        with self.workspace.lock:
            queue = self._outcomes.get(method)
            return queue.popleft() if queue else None

    def pending_outcomes(self, method: str) -> int:
        with self.workspace.lock:
            return len(self._outcomes.get(method, ()))

    def expect_error(self, method: str, error: str) -> None:
        """Declare an ok:false answer the test provokes on purpose, so assert_no_unexpected_errors accepts it."""
        with self.workspace.lock:
            self._expected_errors.add((method, error))

    def is_expected(self, call: Call) -> bool:
        return call.injected or (call.method, call.error) in self._expected_errors

    # ---- bookkeeping called by the server and methods -----------------------------------------------------
    def log_call(self, method: str, args: dict[str, Any], status: int, response: dict[str, Any], *,
                 injected: bool = False) -> None:
        with self.workspace.lock:
            self._calls.append(Call(seq=len(self._calls) + 1, method=method, args=copy.deepcopy(args),
                                    status=status, response=copy.deepcopy(response), injected=injected,
                                    at=self.now()))
            self.workspace.notify()

    def warn(self, method: str, message: str) -> None:
        with self.workspace.lock:
            self._warnings.append((method, message))
