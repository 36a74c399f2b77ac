"""Expiries fired together run as one group (grants.begin_end_all, each statement once for the
group); the outcome must be that of ending each grant in turn: one revoke per target unless
another live grant still covers it, and every grant's audit events."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.domain.enums import ActionKind, ActionStatus, GrantStatus
from bot.store.models import Grant, ProvisioningAction
from bot.timers import claim
from bot.timers.fire import fire_together
from tests.timers.support import audit_subjects, revokes_per_target, seed_active_grants

# Grants 0 and 1 share a target and both expire; 2 expires under 3, which lives on; 4 is alone.
TARGETS = ["shared-a", "shared-a", "shared-b", "shared-b", "alone"]


def test_a_group_of_expiries_revokes_each_target_once_unless_a_live_grant_still_covers_it(world, timers, caplog):
    soon, tomorrow = world.clock.now() + timedelta(minutes=5), world.clock.now() + timedelta(days=1)
    ids = seed_active_grants(world, len(TARGETS), lambda i: tomorrow if i == 3 else soon, target=TARGETS.__getitem__)
    world.advance(minutes=6)
    jobs = claim.claim_due(world.store, now=world.clock.now(), replica_id="replica-a")
    assert sorted(int(job.ref_id) for job in jobs) == sorted(ids[:3] + ids[4:])

    with caplog.at_level(logging.INFO, logger="bot.timers.fire"):
        fired = fire_together(timers.deps, jobs, replica_id="replica-a", now=world.clock.now)
    assert [f.outcome for f in fired] == ["done"] * 4
    assert "running 4 due actions together failed" not in caplog.text, "the group form ran, not the fallback"
    timers.sweep_once()

    assert revokes_per_target(world) == {"shared-a": 1, "alone": 1}
    ended = {str(ids[i]): 1 for i in (0, 1, 2, 4)}
    assert audit_subjects(world.store, "grant.ending") == ended
    assert audit_subjects(world.store, "grant.expired") == ended
    with world.store.uow() as s:
        assert s.get(Grant, ids[3]).status == GrantStatus.ACTIVE
        skipped = dict(s.execute(select(ProvisioningAction.grant_id, ProvisioningAction.summary).where(
            ProvisioningAction.action == ActionKind.REVOKE, ProvisioningAction.status == ActionStatus.SKIPPED)).all())
    assert skipped == {ids[0]: f"still covered by grant #{ids[1]}", ids[2]: f"still covered by grant #{ids[3]}"}
