"""Keep what each reconciliation found in the database: one run row per system, and one finding
per orphaned membership that lives until a run of its system no longer sees it.

An orphan seen by ten runs is one finding (counted once until fixed); a target that could not be
listed this time leaves its findings open (a failed listing is never read as "fixed").

Written in batches: one read of a system's open findings, one insert of the new ones, one update
of those seen again and one of those fixed (executemany; a statement per batch, not per finding).
All of it is in the caller's transaction, with the run's audit event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.reconcile.drift import SystemDrift
from bot.store.models import OrphanFinding, ReconcileRun


def record(s: Session, now: datetime, systems: list[SystemDrift]) -> list[ReconcileRun]:
    runs = []
    for drift in systems:
        run = ReconcileRun(at=now, system=drift.system, targets_checked=len(drift.checked),
                           targets_failed=len(drift.errors), accounts=drift.accounts, orphans=len(drift.orphans),
                           missing=len(drift.missing), not_checked=(drift.not_checked or None) and drift.not_checked[:500])
        runs.append(run)
    s.add_all(runs)
    s.flush()
    for run, drift in zip(runs, systems, strict=True):
        if drift.not_checked is None:
            _update_findings(s, now, run, drift)
    return runs


def _update_findings(s: Session, now: datetime, run: ReconcileRun, drift: SystemDrift) -> None:
    open_ = {(target, principal): (finding_id, kind) for finding_id, target, principal, kind in s.execute(
        select(OrphanFinding.id, OrphanFinding.target, OrphanFinding.principal, OrphanFinding.kind).where(
            OrphanFinding.fixed_at.is_(None), OrphanFinding.system == drift.system))}
    seen: set[tuple[str, str]] = set()
    new, again = [], []
    for orphan in drift.orphans:
        key = (orphan.target, orphan.principal)
        if key in seen:
            continue  # listed twice by the target: still one finding
        seen.add(key)
        if key in open_:
            again.append({"id": open_[key][0], "last_seen_at": now, "kind": orphan.kind})
        else:
            new.append({"system": drift.system, "target": orphan.target, "principal": orphan.principal,
                        "entitlement": orphan.entitlement, "kind": orphan.kind, "person_id": orphan.person_id,
                        "first_run_id": run.id, "first_seen_at": now, "last_seen_at": now})
    checked = set(drift.checked)
    fixed = [{"id": finding_id, "fixed_at": now} for key, (finding_id, _) in open_.items()
             if key not in seen and key[0] in checked]
    if new:
        s.execute(insert(OrphanFinding.__table__), new)  # the table's: the ORM's splits rows at each None
    if again:
        s.execute(update(OrphanFinding), again)
    if fixed:
        s.execute(update(OrphanFinding), fixed)
