"""The fast verify (orjson candidate, rows straight from the driver) decides exactly as the reference walk.

``reference_verify`` below is the walk as it was before the fast path: every event hashed with the
reference ``canonical()`` from values read through SQLAlchemy. Every scenario, hostile content and
tampering alike, must give the same VerifyResult from both, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Text, cast, delete, select, text, update

from bot.audit import log
from bot.audit.log import GENESIS, HASHED, canonical, compute_hash
from bot.audit.verify import VerifyResult, _candidate, verify
from bot.store.models import AuditEvent

T0 = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)

# Details the fast candidate writes differently from json.dumps (non-ASCII, DEL, floats, big ints), or
# cannot read at all, next to ordinary ones.
HOSTILE_DETAILS = [
    {}, {"entitlement": "app1:user", "reason": "scale fixture"}, {"name": "Zoë 日本 \u2028 😀"}, {"nul": "\x00"},
    {"ctl": "\x00\x01\x1f\n\r\t\b\f", "del": "\x7f", "quote": "\"\\/</script>"},
    {"f": 1.5, "g": 1e16, "h": 1e-7, "i": -0.0, "j": 0.1, "k": 1e+300, "l": 123456789.125},
    {"big": 2**64 - 1, "bigger": 2**70, "neg": -2**63 - 1, "n": 10**30},
    {"nested": {"b": [1, {"z": None, "a": True}], "a": {"y": [], "x": {}}}, "A": False, "_": "e+"},
    {"k" * 50: "v" * 500, "ü": "key", "\x7f": "del key"},
]
HOSTILE_ACTORS = ["system:timer", "person:zoë@acme.test", "del\x7f", "ctl\x01\x1f", "quote\"\\"]


def reference_verify(s, up_to=None) -> VerifyResult:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    columns = [cast(AuditEvent.detail, Text).label(n) if n == "detail" else getattr(AuditEvent, n) for n in HASHED]
    query = select(*columns, AuditEvent.hash).order_by(AuditEvent.seq)
    if up_to is not None:
        query = query.where(AuditEvent.seq <= up_to)
    for row in s.execute(query):
        fields = dict(zip(HASHED, row))
        fields["detail"] = json.loads(fields["detail"])
        seq = fields["seq"]
        if seq != expected_seq:
            return VerifyResult(False, checked, f"events #{expected_seq}..#{seq - 1} are missing (deleted)",
                                expected_seq)
        if fields["prev_hash"] != prev_hash:
            return VerifyResult(False, checked, "does not follow the previous event (an event was "
                                "deleted or inserted before it)", seq)
        if compute_hash(fields) != row[-1]:
            return VerifyResult(False, checked, "its content no longer matches its hash (edited)", seq)
        prev_hash, expected_seq, checked = row[-1], expected_seq + 1, checked + 1
    return VerifyResult(True, checked)


def _row(fields: dict, detail_text: str | None = None) -> tuple:
    occurred = fields["occurred_at"].isoformat(timespec="microseconds")
    detail = json.dumps(fields["detail"]) if detail_text is None else detail_text
    values = dict(fields, occurred_at=occurred, detail=detail)
    return (*(values[n] for n in HASHED), "")


def _fields(detail, actor="system:timer", seq=1):
    return {"seq": seq, "occurred_at": T0, "actor": actor, "action": "grant.created", "subject_type": "grant",
            "subject_id": "7", "person_email": None, "trigger": "api", "detail": detail, "prev_hash": GENESIS}


@pytest.mark.parametrize("detail", HOSTILE_DETAILS)
@pytest.mark.parametrize("actor", HOSTILE_ACTORS)
def test_a_candidate_is_the_reference_bytes_or_another_spelling_of_the_same_values(detail, actor):
    fields = _fields(detail, actor)
    reference = canonical(fields)
    fast = _candidate(_row(fields))
    assert fast is None or fast == reference or json.loads(fast) == json.loads(reference)


def test_ordinary_events_take_the_fast_path():
    # Otherwise the speed-up is lost silently: plain ASCII content gives the reference bytes themselves.
    for detail in ({}, {"entitlement": "app1:user", "reason": "scale fixture"},
                   {"nested": {"b": [1, {"z": None, "a": True}], "a": {"y": [], "x": {}}}, "A": False, "n": 2**63}):
        fields = _fields(detail)
        assert _candidate(_row(fields)) == canonical(fields)


@pytest.mark.parametrize("original, forged", [
    ({"n": 1e20}, '{"n": 100000000000000000000}'),  # orjson reads the int as the float that was hashed
    ({"n": -9.223372036854776e18}, '{"n": -9223372036854775809}'),
    ({"n": None}, '{"n": 1e400}'), ({"n": None}, '{"n": NaN}'),  # json reads Infinity and NaN; orjson refuses
])
def test_values_orjson_reads_differently_never_prove_a_row(original, forged):
    fields = _fields(original)
    stored = compute_hash(fields)
    fast = _candidate(_row(fields, forged))
    assert fast is None or hashlib.sha256(fast).hexdigest() != stored
    reference = dict(fields, detail=json.loads(forged))
    assert compute_hash(reference) != stored  # and the reference path calls it an edit


def _history(store, clock_start=T0):
    with store.uow() as s:
        for i, detail in enumerate(HOSTILE_DETAILS * 2):
            log.append(s, now=clock_start + timedelta(seconds=i, microseconds=i % 2), actor=HOSTILE_ACTORS[i % 5],
                       action="grant.created", subject_type="grant", subject_id=i, trigger="api",
                       person_email="zoë@acme.test" if i % 3 else None, detail=detail)
    return len(HOSTILE_DETAILS) * 2


def _both(store, up_to=None) -> VerifyResult:
    with store.uow() as s:
        fast = verify(s, batch=3, up_to=up_to)
    with store.uow() as s:
        reference = reference_verify(s, up_to)
    assert fast == reference
    return fast


def test_hostile_content_verifies(store):
    n = _history(store)
    assert _both(store) == VerifyResult(True, n)
    assert _both(store, up_to=5) == VerifyResult(True, 5)


def _set_detail(s, seq, detail_text):
    value = text("CAST(:d AS JSON)") if s.get_bind().dialect.name == "postgresql" else text(":d")
    s.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(detail=value.bindparams(d=detail_text)))


@pytest.mark.parametrize("tamper, seq, verdict", [
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(actor="mallory")), 4, "edited"),
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="zoé")), 3, "edited"),
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 6)
                         .values(occurred_at=T0 + timedelta(seconds=5, microseconds=7))), 6, "edited"),
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(person_email=None)), 2, "edited"),
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 5).values(subject_id="99")), 5, "edited"),
    (lambda s: _set_detail(s, 2, '{"entitlement": "app1:admin", "reason": "scale fixture"}'), 2, "edited"),
    (lambda s: _set_detail(s, 7, '{"big": 1e20}'), 7, "edited"),
    (lambda s: _set_detail(s, 5, '{"del": "\\u007f"}'), 5, "edited"),
    (lambda s: s.execute(delete(AuditEvent).where(AuditEvent.seq == 9)), 9, "deleted"),
    (lambda s: s.execute(delete(AuditEvent).where(AuditEvent.seq >= 14)), None, None),  # a cut tail: OK, shorter
    (lambda s: s.execute(update(AuditEvent).where(AuditEvent.seq == 8).values(prev_hash="f" * 64)), 8, "follow"),
    # The same values written differently (key order, spaces, escapes): still the event that was hashed.
    (lambda s: _set_detail(s, 2, '{ "reason" : "scale fixture", "entitlement":"app\\u0031:user" }'), None, None),
])
def test_tampering_is_found_exactly_as_before(store, tamper, seq, verdict):
    _history(store)
    with store.uow() as s:
        tamper(s)
    result = _both(store)
    assert result.seq == seq and result.ok is (verdict is None)
    if verdict:
        assert verdict in result.problem


def test_an_inserted_event_is_found_exactly_as_before(store):
    n = _history(store)
    with store.uow() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq >= 4).values(seq=AuditEvent.seq + n))
        s.execute(update(AuditEvent).where(AuditEvent.seq >= 4 + n).values(seq=AuditEvent.seq - n + 1))
        forged = _fields({"forged": True}, seq=4)
        s.add(AuditEvent(**{**forged, "prev_hash": "x" * 64}, hash=compute_hash(forged)))
    result = _both(store)
    assert not result.ok and result.seq == 4 and "follow" in result.problem


def test_a_rechained_forgery_is_found_at_the_next_honest_event(store):
    _history(store)
    with store.uow() as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
        row.detail = {"forged": "é"}
        row.hash = compute_hash(row)  # re-hashed, but event 4 still names the old hash
    result = _both(store)
    assert not result.ok and result.seq == 4


def test_an_intact_chain_is_read_once_however_hostile_its_content(store):
    # Non-ASCII and DEL miss the fast candidate; the reference form from the values already read proves
    # them, without a query per event.
    from sqlalchemy import event

    n = _history(store)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.uow() as s:
            assert verify(s, batch=3) == VerifyResult(True, n)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert not [q for q in statements if "audit_events" in q]
