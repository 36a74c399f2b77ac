"""Run a reconciliation: find drift, tell IT (``reconcile.digest``), and, only where an instance
opted in with ``reconcile: revoke_orphans``, remove orphaned access of known people.

Removals go through the provisioning runner like any other (a write-ahead ``revoke`` row per
orphan, not tied to a grant), so they are retried, alerted and audited the same way. Access is
never added: missing access is reported for a person to look at.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from bot.domain.enums import ActionKind, Trigger
from bot.ledger import queue
from bot.ledger.context import Actor, Ctx
from bot.ledger.events import emit, happened
from bot.provisioning.runner import UNFINISHED
from bot.reconcile import findings
from bot.reconcile.drift import REVOKE_ORPHANS, ProgressFn, SystemDrift, find
from bot.reconcile.events import ReconcileEvent
from bot.store.models import ProvisioningAction

ACTOR = Actor.system("reconcile", Trigger.SYSTEM)


@dataclass(frozen=True)
class Reconciliation:
    at: datetime
    systems: list[SystemDrift]
    revocations: list[str]  # provisioning action ids queued for orphans

    @property
    def orphans(self) -> int:
        return sum(len(s.orphans) for s in self.systems)

    @property
    def missing(self) -> int:
        return sum(len(s.missing) for s in self.systems)

    @property
    def errors(self) -> int:
        return sum(len(s.errors) for s in self.systems)

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.errors)

    def as_dict(self) -> dict:
        return {"at": self.at, "systems": [asdict(s) for s in self.systems], "revocations": self.revocations,
                "totals": {"orphans": self.orphans, "missing": self.missing, "errors": self.errors}}


def reconcile(deps, *, only: list[str] | None = None, actor: Actor = ACTOR,
              progress: ProgressFn | None = None) -> Reconciliation:
    """``progress`` is told each system's reading as it goes (from the reading threads)."""
    systems = find(deps, only=only, progress=progress)
    ctx = deps.ctx(actor)
    with deps.store.uow() as s:
        findings.record(s, ctx.now, systems)
        revocations = [a for drift in systems if drift.mode == REVOKE_ORPHANS for a in _revoke(s, ctx, drift)]
        result = Reconciliation(ctx.now, systems, revocations)
        data = result.as_dict()
        happened(s, ctx, ReconcileEvent.FINISHED, subject_type="reconcile", subject_id=ctx.now.isoformat()[:19],
                 detail=data)
        emit(s, ctx, ReconcileEvent.DIGEST, channel=ctx.catalog.settings.it_channel, clean=result.clean, **data)
    if revocations:
        deps.kick()
    return result


def _revoke(s, ctx: Ctx, drift: SystemDrift) -> list[str]:
    """A removal per orphan of a known person, unless one is already under way (one read for the
    system, one flush for all the rows)."""
    busy = {(person_id, target) for person_id, target in s.execute(select(
        ProvisioningAction.person_id, ProvisioningAction.target).where(
        ProvisioningAction.connector == drift.system, ProvisioningAction.action == ActionKind.REVOKE,
        ProvisioningAction.status.in_(UNFINISHED)))}
    queued = []
    for orphan in drift.orphans:
        if orphan.person_id is None:
            continue  # nobody to attach the removal to: reported for a person to handle
        if (orphan.person_id, orphan.target) in busy:
            continue
        busy.add((orphan.person_id, orphan.target))
        row = queue.enqueue(s, ctx, grant=None, action=ActionKind.REVOKE, person_id=orphan.person_id,
                            connector=drift.system, target=orphan.target, entitlement=orphan.entitlement,
                            note=f"reconcile: {orphan.kind} access no grant explains", flush=False)
        queued.append(row.id)
    s.flush()
    return queued


def render(result: Reconciliation) -> str:
    lines = [f"Reconciliation at {result.at:%Y-%m-%d %H:%M} UTC"]
    for drift in result.systems:
        if drift.not_checked:
            lines.append(f"⚪ {drift.system}: not checked ({drift.not_checked})")
            continue
        mark = "❌" if drift.errors else "⚠️" if drift.orphans or drift.missing else "✅"
        lines.append(f"{mark} {drift.system} ({drift.mode}): {len(drift.checked)} targets checked")
        lines += [f"    ! {target}: could not list members ({why})" for target, why in sorted(drift.errors.items())]
        for o in drift.orphans:
            who = o.person_email or "not in the directory"
            lines.append(f"    + {o.target} ({o.entitlement}): {o.principal} [{o.kind}; {who}]")
        lines += [f"    - {m.target} ({m.entitlement}): {m.person_email}, grant #{m.grant_id}: {m.reason}"
                  for m in drift.missing]
        lines += [f"    ? {problem}" for problem in drift.problems]
    lines.append(f"{result.orphans} orphaned, {result.missing} missing, {result.errors} targets not listed, "
                 f"{len(result.revocations)} removals queued")
    return "\n".join(lines)
