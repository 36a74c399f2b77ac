"""Who is this Slack user, and which Slack user is this person.

Inbound: a Slack user id maps to a person through ``people.slack_user_id``. The first time we see an
unlinked id we ask Slack (users.info) for the account's e-mail and link it only when Slack says the
address is confirmed (``is_email_confirmed``): an unconfirmed address could be anyone's. Outbound (an
approver we must DM): users.lookupByEmail, with the same rule.

Answers are cached (ten minutes for people we know, twenty seconds for those we do not) and the
cache is filled with every linked person at start: the lookup runs before the ack on every request,
and a busy database would otherwise make acks wait. A person who leaves is still refused by the
operations themselves, which re-read the person in their transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.ledger.context import Actor
from bot.store.db import Store
from bot.store.models import Person

log = logging.getLogger(__name__)

KNOWN_TTL = 600.0
UNKNOWN_TTL = 20.0


@dataclass(frozen=True)
class Resolved:
    actor: Actor | None
    problem: str = ""  # why we could not tell who it is, in words for that user

    @property
    def known(self) -> bool:
        return self.actor is not None


class Identity:
    def __init__(self, store: Store, clock, *, known_ttl: float = KNOWN_TTL, unknown_ttl: float = UNKNOWN_TTL):
        self.store, self.clock = store, clock
        self._ttl = {True: known_ttl, False: unknown_ttl}
        self._cache: dict[str, tuple[float, Resolved]] = {}
        self._lock = threading.Lock()

    # -- inbound ------------------------------------------------------------------------------
    def resolve(self, slack_user_id: str, client: WebClient) -> Resolved:
        cached = self._cached(slack_user_id)
        if cached is not None:
            return cached
        resolved = self._from_database(slack_user_id) or self._from_slack(slack_user_id, client)
        with self._lock:
            self._cache[slack_user_id] = (time.monotonic() + self._ttl[resolved.known], resolved)
        return resolved

    def warm(self) -> int:
        """Cache every person already linked to a Slack account (one query); returns how many."""
        with self.store.uow() as s:
            people = s.scalars(select(Person).where(Person.slack_user_id.is_not(None))).all()
            entries = {p.slack_user_id: Resolved(Actor.person(p, Trigger.SLACK)) for p in people}
        expires = time.monotonic() + self._ttl[True]
        with self._lock:
            for slack_user_id, resolved in entries.items():
                self._cache.setdefault(slack_user_id, (expires, resolved))
        return len(entries)

    def forget(self, slack_user_id: str) -> None:
        with self._lock:
            self._cache.pop(slack_user_id, None)

    def _cached(self, slack_user_id: str) -> Resolved | None:
        with self._lock:
            entry = self._cache.get(slack_user_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def _from_database(self, slack_user_id: str) -> Resolved | None:
        with self.store.uow() as s:
            person = directory.by_slack_id(s, slack_user_id)
            if person is None:
                return None
            return Resolved(Actor.person(person, Trigger.SLACK))

    def _from_slack(self, slack_user_id: str, client: WebClient) -> Resolved:
        try:
            user = client.users_info(user=slack_user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", slack_user_id, error.response.get("error"))
            return Resolved(None, "I could not look up your Slack account just now; please try again in a minute.")
        problem = account_problem(user)
        if problem:
            return Resolved(None, problem)
        email = user["profile"]["email"]
        with self.store.uow() as s:
            person = directory.by_email(s, email)
            if person is None:
                return Resolved(None, f"{email} is not in accessbot's directory, so I can't tell who you are. "
                                      "Ask IT to add you, then try again.")
            if person.slack_user_id and person.slack_user_id != slack_user_id:
                log.warning("%s is linked to Slack user %s, not %s", email, person.slack_user_id, slack_user_id)
                return Resolved(None, f"{email} is already linked to another Slack account. Ask IT to fix it.")
            _link(s, person, user, now=self.clock.now())
            return Resolved(Actor.person(person, Trigger.SLACK))

    # -- outbound -----------------------------------------------------------------------------
    def slack_id_for(self, person_id: int, client: WebClient) -> str | None:
        """The person's Slack user id, found by e-mail (and linked) on first use; None if Slack has no
        confirmed, active account with that address."""
        with self.store.uow() as s:
            person = s.get(Person, person_id)
            if person.slack_user_id:
                return person.slack_user_id
            email = person.email
        try:
            user = client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                raise
            log.info("no Slack account for %s", email)
            return None
        if account_problem(user):
            log.info("not messaging %s: %s", email, account_problem(user))
            return None
        with self.store.uow() as s:
            person = s.get(Person, person_id)
            if directory.by_slack_id(s, user["id"]) is None and not person.slack_user_id:
                _link(s, person, user, now=self.clock.now())
            return person.slack_user_id


def account_problem(user: dict) -> str:
    """Why a Slack account cannot stand for a person in the directory ('' when it can)."""
    if user.get("deleted"):
        return "This Slack account is deactivated."
    if user.get("is_bot") or user.get("is_app_user"):
        return "Bots cannot request or approve access."
    email = (user.get("profile") or {}).get("email")
    if not email:
        return "Slack does not share your e-mail address with accessbot, so I can't tell who you are. Ask IT."
    if not user.get("is_email_confirmed"):
        return ("Your Slack e-mail address is not confirmed, so I can't be sure who you are. "
                "Confirm it in Slack (Profile → e-mail), then try again.")
    return ""


def _link(s, person, user: dict, *, now) -> None:
    tz = user.get("tz") if not person.timezone else None
    directory.upsert(s, directory.PersonInput(email=person.email, slack_user_id=user["id"], timezone=tz),
                     source="slack", now=now)
    log.info("linked %s to Slack user %s", person.email, user["id"])
