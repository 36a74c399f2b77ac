"""The catalog's version on record: its hash is written to the audit log at every load, so an
auditor can see which policy was in force when, and when it changed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import log as audit
from bot.domain.enums import Trigger
from bot.store.models import AuditEvent
from policies.loader import catalog_files

LOADED = "policy.loaded"


def fingerprint(path: Path) -> dict:
    """sha256 of every catalog file (by its path inside the catalog) and of the whole set."""
    path = Path(path)
    root = path.parent if path.is_file() else path
    files = {file.relative_to(root).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
             for file in catalog_files(path)}
    whole = hashlib.sha256("".join(f"{name}\0{digest}\n" for name, digest in sorted(files.items())).encode())
    return {"catalog_sha256": whole.hexdigest(), "files": dict(sorted(files.items()))}


def record_load(s: Session, *, now: datetime, path: Path) -> dict:
    version = fingerprint(path)
    previous = s.execute(select(AuditEvent.detail).where(AuditEvent.action == LOADED)
                         .order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    changed = previous is None or previous.get("catalog_sha256") != version["catalog_sha256"]
    audit.append(s, now=now, actor="system:loader", action=LOADED, subject_type="catalog",
                 subject_id=version["catalog_sha256"][:16], trigger=Trigger.SYSTEM,
                 detail={**version, "changed": changed, "path": str(path)})
    return version


def loads(s: Session, since: datetime, until: datetime) -> list[dict]:
    """The version in force at ``since`` (its last load before) and every load in the period."""
    before = s.execute(select(AuditEvent).where(AuditEvent.action == LOADED, AuditEvent.occurred_at < since)
                       .order_by(AuditEvent.seq.desc()).limit(1)).scalars().all()
    during = s.scalars(select(AuditEvent).where(AuditEvent.action == LOADED, AuditEvent.occurred_at >= since,
                                                AuditEvent.occurred_at < until).order_by(AuditEvent.seq)).all()
    return [{"seq": e.seq, "loaded_at": e.occurred_at.isoformat(), "in_force_at_start": e in before,
             "catalog_sha256": e.detail.get("catalog_sha256"), "files": e.detail.get("files", {}),
             "changed": e.detail.get("changed")} for e in [*before, *during]]
