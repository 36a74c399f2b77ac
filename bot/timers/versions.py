"""Payload versions: a deploy never strands a row written by the previous release.

Each row carries the ``payload_version`` of the code that wrote it (bot.ledger.due.PAYLOAD_VERSION).
When the shape of a kind's payload changes, bump PAYLOAD_VERSION and add an upgrader here keyed by
(kind, old version); rows are upgraded one version at a time just before they run. A version with
no upgrader for a kind means that kind's payload did not change: the row runs as it is. Rows from
a *newer* release are never claimed by older code (see claim._due); a newer replica runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.ledger.due import DueJob, PAYLOAD_VERSION

Upgrader = Callable[[dict[str, Any]], dict[str, Any]]

# (kind, version it upgrades from) -> function returning the payload of the next version.
UPGRADES: Mapping[tuple[str, int], Upgrader] = {}


def upgrade(job: DueJob, upgrades: Mapping[tuple[str, int], Upgrader] = UPGRADES) -> DueJob:
    if job.payload_version >= PAYLOAD_VERSION:
        return job
    payload = dict(job.payload)
    for version in range(job.payload_version, PAYLOAD_VERSION):
        step = upgrades.get((job.kind, version))
        if step is not None:
            payload = step(payload)
    return job.upgraded(payload)
