from __future__ import annotations

import io
import json

from sqlalchemy import delete, select, update

from bot.audit.export import export
from bot.audit.verify import verify
from bot.store.models import AuditEvent


def _some_history(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    world.decide("dana@acme.test", rid)
    world.run()


def test_an_untouched_chain_verifies(world):
    _some_history(world)
    with world.store.uow() as s:
        result = verify(s)
    assert result.ok and result.checked >= 5


def test_verify_finds_an_edited_event(world):
    _some_history(world)
    with world.store.uow() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory@acme.test"))
    with world.store.uow() as s:
        result = verify(s)
    assert not result.ok and result.seq == 2 and "edited" in result.problem


def test_verify_finds_a_deleted_event(world):
    _some_history(world)
    with world.store.uow() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    with world.store.uow() as s:
        result = verify(s)
    assert not result.ok and result.seq == 3 and "deleted" in result.problem


def test_verify_finds_an_inserted_event(world):
    _some_history(world)
    with world.store.uow() as s:
        last = s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        # Shift the tail up by one and slip a forged row in at seq 2.
        for event in s.scalars(select(AuditEvent).where(AuditEvent.seq >= 2).order_by(AuditEvent.seq.desc())):
            event.seq += 1
            s.flush()
        s.add(AuditEvent(seq=2, occurred_at=last.occurred_at, actor="mallory", action="grant.created",
                         subject_type="grant", subject_id="99", trigger="api", detail={}, prev_hash="x" * 64,
                         hash="y" * 64))
    with world.store.uow() as s:
        result = verify(s)
    assert not result.ok and result.seq == 2


def test_export_writes_every_event_as_json_lines(world):
    _some_history(world)
    out = io.StringIO()
    with world.store.uow() as s:
        count = export(s, out, "jsonl")
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == count and rows[0]["seq"] == 1
    assert {"request.submitted", "request.approved", "grant.activated"} <= {r["action"] for r in rows}
