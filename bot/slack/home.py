"""Publishing a person's App Home from the database.

Both the app_home_opened listener and the notifier publish; a per-person lock makes render-then-publish
atomic within a process, so a later publish always carries a later rendering. Across processes (several
replicas, or a listener and the notifier in different ones) Slack's view hash does the same job: each
publish sends the hash of the view last published (or seen in app_home_opened), so a publish rendered
before someone else's newer one is refused with ``hash_conflict`` instead of overwriting it. Then
the database is read again and that rendering is published: it is at least as new as the one that
won (which was rendered before it was published, and so before our conflict).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.readmodels.home import load_home
from bot.slack.views.home import render_home, render_unknown_home

log = logging.getLogger(__name__)


class HomePublisher:
    def __init__(self, deps, client: WebClient):
        self.deps, self.client = deps, client
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._hashes: dict[str, str] = {}  # Slack user id → hash of their Home view as we last knew it

    def _lock(self, person_id: int) -> threading.Lock:
        with self._guard:
            return self._locks[person_id]

    def publish(self, person_id: int, *, limits: dict[str, int] | None = None,
                client: WebClient | None = None, seen_hash: str | None = None) -> bool:
        """Render and publish; False when the person has no Slack account linked yet (nothing to show it on).
        ``seen_hash``: the hash of the Home view Slack reported with app_home_opened."""
        with self._lock(person_id):
            return self._render_and_publish(person_id, limits, client or self.client, seen_hash)

    def _render_and_publish(self, person_id: int, limits, client: WebClient, seen_hash: str | None) -> bool:
        view = self._render(person_id, limits)
        if view is None:
            return False
        user_id, body = view
        if seen_hash:
            self._hashes[user_id] = seen_hash
        try:
            answer = client.views_publish(user_id=user_id, view=body, hash=self._hashes.get(user_id))
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            log.info("App Home of %s changed since we last published it; rendering it again", user_id)
            self._hashes.pop(user_id, None)
            view = self._render(person_id, limits)
            if view is None:
                return False
            answer = client.views_publish(user_id=user_id, view=view[1])
        self._remember(user_id, answer)
        return True

    def _render(self, person_id: int, limits) -> tuple[str, dict] | None:
        now = self.deps.clock.now()
        with self.deps.store.uow() as s:
            model = load_home(s, self.deps.catalog, person_id, now=now, limits=limits)
        if model is None or not model.person.slack_user_id:
            return None
        return model.person.slack_user_id, render_home(model, now)

    def _remember(self, user_id: str, answer) -> None:
        new_hash = (answer.get("view") or {}).get("hash")
        if new_hash:
            self._hashes[user_id] = new_hash
        else:
            self._hashes.pop(user_id, None)

    def publish_unknown(self, slack_user_id: str, problem: str, client: WebClient | None = None) -> None:
        answer = (client or self.client).views_publish(user_id=slack_user_id, view=render_unknown_home(problem))
        self._remember(slack_user_id, answer)
