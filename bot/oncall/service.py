"""The on-call lookup the policy asks: one roster per schedule, cached briefly, failures never "on call".

A roster is kept ``ttl`` (ACCESSBOT_ON_CALL_CACHE_SECONDS): requests in a burst ask the provider once,
and a handoff is seen within that time. A failure is kept too, for the provider's Retry-After or
``FAILURE_TTL``, so an outage costs one timeout, not one per request. Shifts are filtered against the
current time on every answer: a cached roster never keeps someone on call past the end of their shift.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain.clock import Clock
from bot.oncall.config import OnCallConfigError, OnCallFileSpec, ProviderSpec, load
from bot.oncall.opsgenie import OpsgenieSource
from bot.oncall.pagerduty import PagerDutySource
from bot.oncall.shifts import OnCallSource, OnCallUnavailable, Shift
from bot.oncall.static import StaticSource
from connectors.config import as_reference, resolve_reference
from policies.on_call import OnCallStatus

log = logging.getLogger(__name__)
FAILURE_TTL = timedelta(seconds=15)


@dataclass(frozen=True)
class _Roster:
    until: datetime
    shifts: tuple[Shift, ...] = ()
    problem: str | None = None


class OnCallService:
    def __init__(self, spec: OnCallFileSpec, sources: Mapping[str, OnCallSource], clock: Clock, ttl: timedelta):
        self.spec = spec
        self._sources = dict(sources)
        self._clock = clock
        self._ttl = ttl
        self._rosters: dict[str, _Roster] = {}
        self._locks: dict[str, threading.Lock] = {name: threading.Lock() for name in spec.schedules}

    def status(self, schedule: str, email: str) -> OnCallStatus:
        if schedule not in self.spec.schedules:
            return OnCallStatus.unknown("not defined in the on-call file")
        now = self._clock.now()
        roster = self._roster(schedule, now)
        if roster.problem:
            return OnCallStatus.unknown(roster.problem)
        mine = [s for s in roster.shifts if s.email == email.strip().lower() and s.covers(now)]
        if not mine:
            return OnCallStatus(False)
        level = min(s.level for s in mine)
        ends = [s.ends_at for s in mine if s.level == level and s.ends_at is not None]
        return OnCallStatus(True, level, max(ends) if ends else None)

    def _roster(self, schedule: str, now: datetime) -> _Roster:
        with self._locks[schedule]:  # one fetch per schedule at a time; the others wait for its answer
            cached = self._rosters.get(schedule)
            if cached is not None and now < cached.until:
                return cached
            spec = self.spec.schedules[schedule]
            try:
                roster = _Roster(now + self._ttl, tuple(self._sources[spec.provider].shifts(spec, now)))
            except OnCallUnavailable as exc:
                wait = timedelta(seconds=exc.retry_after) if exc.retry_after else FAILURE_TTL
                log.warning("on-call schedule %s: %s", schedule, exc.detail)
                roster = _Roster(now + wait, problem=exc.detail)
            self._rosters[schedule] = roster
            return roster

    def close(self) -> None:
        for source in self._sources.values():
            source.close()


def build(spec: OnCallFileSpec, environ: Mapping[str, str], clock: Clock, ttl: timedelta) -> OnCallService:
    """Resolve every credential now: an absent one stops start-up with its name, not the first request."""
    problems, sources = [], {"static": StaticSource()}
    for name, provider in spec.providers.items():
        try:
            secret = resolve_reference(*as_reference(provider.credential), environ)
        except ValueError as exc:
            problems.append(f"providers.{name}: {exc}")
            continue
        sources[name] = _source(provider, secret)
    if problems:
        raise OnCallConfigError(problems)
    return OnCallService(spec, sources, clock, ttl)


def _source(provider: ProviderSpec, secret: str) -> OnCallSource:
    if provider.type == "pagerduty":
        return PagerDutySource(provider, secret)
    return OpsgenieSource(provider, secret)


def load_service(path: Path | None, environ: Mapping[str, str], clock: Clock, ttl: timedelta) -> OnCallService | None:
    return None if path is None else build(load(path), environ, clock, ttl)
