"""POST /hooks/hr: signed, fresh, well-formed events only; anything else changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.domain.enums import PersonStatus
from bot.http.hooks import sign
from bot.store.models import AuditEvent, DeliveryKey, LifecycleEvent, Person
from tests.http.conftest import HR_SECRET
from tests.lifecycle.helpers import person, wait_for_offboarding


def _event(**overrides):
    event = {"event_id": "wd-1", "type": "leaver", "occurred_at": "2026-11-02T08:00:00Z",
             "termination": "immediate", "person": {"email": "alice@acme.test", "employee_id": "E1"}}
    return {**event, **overrides}


def _post(client, deps, body, *, secret=HR_SECRET, timestamp=None, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(deps.clock.now().timestamp()) if timestamp is None else timestamp
    headers = {"X-Accessbot-Timestamp": str(ts), "X-Accessbot-Signature": signature or sign(secret, ts, raw),
               "Content-Type": "application/json"}
    return client.post("/hooks/hr", content=raw, headers=headers)


def _nothing_changed(deps):
    with deps.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(LifecycleEvent)) == 0
        assert s.scalar(select(func.count()).select_from(DeliveryKey)) == 0
        assert s.scalar(select(Person.status).where(Person.email == "alice@acme.test")) == PersonStatus.ACTIVE


def test_a_signed_leaver_event_offboards_the_person(client, deps, world):
    response = _post(client, deps, _event())
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["person"], body["event_id"]) == ("applied", "alice@acme.test", "wd-1")
    record = wait_for_offboarding(deps, "alice@acme.test")
    assert body["offboarding_ids"] == [record.id] and record.status == "done"
    assert person(deps, "alice@acme.test").employee_id == "E1"


def test_a_replayed_event_is_acknowledged_and_ignored(client, deps, world):
    first = _post(client, deps, _event(type="mover", termination=None,
                                       person={"email": "alice@acme.test", "title": "Staff Engineer"}))
    replay = _post(client, deps, _event(type="mover", termination=None,
                                        person={"email": "alice@acme.test", "title": "Staff Engineer"}))
    assert (first.status_code, replay.status_code) == (202, 200) and replay.json()["status"] == "duplicate"
    with deps.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(LifecycleEvent)) == 1


def test_a_bad_signature_is_refused_and_changes_nothing(client, deps, world):
    forged = _post(client, deps, _event(), secret="not-the-secret")
    assert forged.status_code == 401 and forged.json()["detail"] == "the signature does not match the body"
    assert HR_SECRET not in forged.text
    missing = client.post("/hooks/hr", json=_event())
    assert missing.status_code == 401 and "headers are required" in missing.json()["detail"]
    _nothing_changed(deps)


def test_a_signed_body_changed_in_transit_is_refused(client, deps, world):
    ts = int(deps.clock.now().timestamp())
    signature = sign(HR_SECRET, ts, json.dumps(_event(type="mover", termination=None)).encode())
    tampered = _post(client, deps, _event(), timestamp=ts, signature=signature)
    assert tampered.status_code == 401
    _nothing_changed(deps)


def test_an_old_or_future_timestamp_is_refused(client, deps, world):
    now = int(deps.clock.now().timestamp())
    assert _post(client, deps, _event(), timestamp=now - 301).status_code == 401
    assert _post(client, deps, _event(), timestamp=now + 301).status_code == 401
    assert "5 minutes" in _post(client, deps, _event(), timestamp=now - 3600).json()["detail"]
    _nothing_changed(deps)


def test_a_malformed_event_gets_every_reason_and_changes_nothing(client, deps, world):
    bad = _event(occurred_at="2026-11-02T08:00:00", colour="blue",
                 person={"email": "not-an-address", "start_date": "next monday"})
    response = _post(client, deps, bad)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"occurred_at", "colour", "person.email", "person.start_date"}
    assert "Extra inputs are not permitted" in response.json()["detail"]
    assert _post(client, deps, b"{not json").status_code == 400
    assert _post(client, deps, _event(type="mover")).json()["errors"][0]["message"].endswith(
        "termination applies to leaver events only")
    _nothing_changed(deps)


def test_an_unknown_manager_is_refused_with_the_reason(client, deps, world):
    response = _post(client, deps, _event(type="joiner", termination=None,
                                          person={"email": "nina@acme.test", "manager_email": "boss@acme.test"}))
    assert response.status_code == 422 and "boss@acme.test" in response.json()["detail"]
    with deps.store.uow() as s:
        assert s.scalar(select(Person).where(Person.email == "nina@acme.test")) is None
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "refused.hr.joiner")) is not None


def test_an_ambiguous_identity_is_a_conflict(client, deps, world):
    _post(client, deps, _event(event_id="a", type="joiner", termination=None,
                               person={"email": "nina@acme.test", "employee_id": "E9"}))
    response = _post(client, deps, _event(event_id="b", person={"email": "alice@acme.test", "employee_id": "E9"}))
    assert response.status_code == 409 and response.json()["code"] == "identity_conflict"
    assert person(deps, "alice@acme.test").status == PersonStatus.ACTIVE


def test_without_a_secret_the_hook_is_off(store, clock, tmp_path):
    from fastapi.testclient import TestClient

    from bot.http.app import create_app
    from bot.http.hooks import hooks_plugin
    from tests.support.deps import close, deps_for
    from tests.support.world import make_world

    deps = deps_for(make_world(store, clock, tmp_path))
    try:
        client = TestClient(create_app(deps.settings, deps=deps, plugins=[hooks_plugin]))
        response = client.post("/hooks/hr", json=_event())
        assert response.status_code == 503 and "ACCESSBOT_HR_WEBHOOK_SECRET" in response.json()["detail"]
    finally:
        close(deps)


def test_the_event_schema_is_published(client):
    schema = client.get("/hooks/hr/schema").json()
    assert schema["properties"]["type"]["enum"] == ["joiner", "mover", "leaver"]
    assert set(schema["required"]) == {"event_id", "type", "occurred_at", "person"}
