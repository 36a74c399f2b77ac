"""What the service running the connectors lends them: a keyed lock and a memory of learned facts.

Connectors stand alone (they never import ``bot``), yet some need what only the service has:

* ``KeyedLock``: mutual exclusion across every replica for a read-modify-write the target cannot
  do atomically (Slack user groups replace the whole member list). Keys are
  ``"<connector instance>:<what is changed>"``.
* ``LearnedFacts``: small things a connector learns about its target from a refusal (the member
  removal form a SCIM server accepts), kept where every replica and the next start can read them,
  so each learns it once and not with a failing call per process.

The bot implements both on its database (``bot/store/connector_host.py``) and passes them in
through ``connectors.registry``. The in-process defaults below are right for a single process
(tests, the demo, a SQLite deployment); with them every replica would lock and learn alone.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol


class KeyedLock(Protocol):
    def __call__(self, key: str) -> AbstractContextManager[object]:
        """Held for the ``with`` block; blocks while another holder of ``key`` is inside it."""


class LearnedFacts(Protocol):
    def recall(self, connector: str, fact: str) -> str | None:
        """What ``connector`` learned as ``fact``, or None when it never learned it."""

    def remember(self, connector: str, fact: str, value: str) -> None:
        """Keep ``value`` for ``fact``; a later ``remember`` of the same fact replaces it."""


class InProcessLocks:
    """One ``threading.Lock`` per key: exclusion between the threads of this process only."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class InMemoryFacts:
    """Facts kept for the life of the process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._facts: dict[tuple[str, str], str] = {}

    def recall(self, connector: str, fact: str) -> str | None:
        with self._guard:
            return self._facts.get((connector, fact))

    def remember(self, connector: str, fact: str, value: str) -> None:
        with self._guard:
            self._facts[(connector, fact)] = value


@dataclass(frozen=True)
class ConnectorHost:
    """Passed to the connector classes that declare ``uses_host``; one host serves every instance."""

    lock: KeyedLock = field(default_factory=InProcessLocks)
    facts: LearnedFacts = field(default_factory=InMemoryFacts)
    # True when ``lock`` excludes every writer of every replica (the bot's PostgreSQL advisory
    # lock): a connector may then trust a write's own answer instead of reading the target back.
    lock_spans_replicas: bool = False
