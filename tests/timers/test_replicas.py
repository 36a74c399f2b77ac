"""Several replicas sharing one PostgreSQL database run every due action exactly once.

PostgreSQL only by nature (SKIP LOCKED between processes); SQLite has a single writer."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from bot.audit.verify import verify
from bot.domain.enums import GrantStatus
from bot.timers.service import TimerService
from tests.timers.support import (
    audit_subjects,
    count_grants,
    make_deps,
    outbox,
    revokes_per_target,
    seed_active_grants,
)

GRANTS = 500


def _sweep_together(services: list[TimerService]) -> list[int]:
    start = threading.Barrier(len(services))
    ran = [0] * len(services)

    def sweep(index: int) -> None:
        start.wait()
        ran[index] = services[index].sweep_once()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(len(services))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a sweep did not finish"
    return ran


@pytest.mark.parametrize("db_backend", ["postgres"])
def test_two_replicas_warn_and_expire_each_grant_exactly_once(world):
    ends_at = world.clock.now() + timedelta(hours=3)
    ids = seed_active_grants(world, GRANTS, ends_at)  # all due at the same moment
    replicas = [make_deps(world, name, own_store=True) for name in ("replica-a", "replica-b")]
    services = [TimerService(d, batch=50) for d in replicas]
    try:
        world.clock.set(ends_at - timedelta(hours=1))  # the one-hour warning of all 500
        warned = _sweep_together(services)
        assert sum(warned) == GRANTS and min(warned) > 0, f"both replicas took part: {warned}"
        expiring = outbox(world.store, "grant.expiring")
        assert Counter(e["grant_id"] for e in expiring) == {gid: 1 for gid in ids}
        assert expiring[0]["minutes_left"] == 60 and expiring[0]["can_extend"] is True

        world.clock.set(ends_at)
        expired = _sweep_together(services)
        assert sum(expired) == GRANTS and min(expired) > 0, f"both replicas took part: {expired}"
    finally:
        for d in replicas:
            d.executor.shutdown(wait=True)
            d.store.dispose()
    revokes = revokes_per_target(world)
    assert len(revokes) == GRANTS and set(revokes.values()) == {1}, "each grant revoked exactly once"
    assert count_grants(world.store, GrantStatus.EXPIRED) == GRANTS
    assert audit_subjects(world.store, "grant.expired") == {str(gid): 1 for gid in ids}
    assert audit_subjects(world.store, "grant.expiry_warned") == {str(gid): 1 for gid in ids}
    with world.store.uow() as s:
        assert verify(s).ok, "the audit chain did not fork"
