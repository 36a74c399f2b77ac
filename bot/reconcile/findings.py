"""Keep what each reconciliation found in the database: one run row per system, and one finding
per orphaned membership that lives until a run of its system no longer sees it.

An orphan seen by ten runs is one finding (counted once until fixed); a target that could not be
listed this time leaves its findings open (a failed listing is never read as "fixed")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reconcile.drift import SystemDrift
from bot.store.models import OrphanFinding, ReconcileRun


def record(s: Session, now: datetime, systems: list[SystemDrift]) -> list[ReconcileRun]:
    runs = []
    for drift in systems:
        run = ReconcileRun(at=now, system=drift.system, targets_checked=len(drift.checked),
                           targets_failed=len(drift.errors), accounts=drift.accounts, orphans=len(drift.orphans),
                           missing=len(drift.missing), not_checked=(drift.not_checked or None) and drift.not_checked[:500])
        s.add(run)
        s.flush()
        runs.append(run)
        if drift.not_checked is None:
            _update_findings(s, now, run, drift)
    return runs


def _update_findings(s: Session, now: datetime, run: ReconcileRun, drift: SystemDrift) -> None:
    open_ = {(f.target, f.principal): f for f in s.scalars(select(OrphanFinding).where(
        OrphanFinding.fixed_at.is_(None), OrphanFinding.system == drift.system))}
    seen = set()
    for orphan in drift.orphans:
        key = (orphan.target, orphan.principal)
        seen.add(key)
        finding = open_.get(key)
        if finding is None:
            s.add(OrphanFinding(system=drift.system, target=orphan.target, principal=orphan.principal,
                                entitlement=orphan.entitlement, kind=orphan.kind, person_id=orphan.person_id,
                                first_run_id=run.id, first_seen_at=now, last_seen_at=now))
        else:
            finding.last_seen_at, finding.kind = now, orphan.kind
    checked = set(drift.checked)
    for key, finding in open_.items():
        if key not in seen and finding.target in checked:
            finding.fixed_at = now
