"""Publishing a person's App Home from the database.

Both the app_home_opened listener and the notifier publish; a per-person lock makes render-then-publish
atomic within a process, so a later publish always carries a later rendering.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from slack_sdk import WebClient

from bot.slack.readmodels.home import load_home
from bot.slack.views.home import render_home, render_unknown_home


class HomePublisher:
    def __init__(self, deps, client: WebClient):
        self.deps, self.client = deps, client
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def _lock(self, person_id: int) -> threading.Lock:
        with self._guard:
            return self._locks[person_id]

    def publish(self, person_id: int, *, limits: dict[str, int] | None = None,
                client: WebClient | None = None) -> bool:
        """Render and publish; False when the person has no Slack account linked yet (nothing to show it on)."""
        with self._lock(person_id):
            now = self.deps.clock.now()
            with self.deps.store.uow() as s:
                model = load_home(s, self.deps.catalog, person_id, now=now, limits=limits)
            if model is None or not model.person.slack_user_id:
                return False
            (client or self.client).views_publish(user_id=model.person.slack_user_id, view=render_home(model, now))
            return True

    def publish_unknown(self, slack_user_id: str, problem: str, client: WebClient | None = None) -> None:
        (client or self.client).views_publish(user_id=slack_user_id, view=render_unknown_home(problem))
