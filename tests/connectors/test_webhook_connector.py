"""The webhook connector against a real local HTTP endpoint that checks signatures like a customer."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from connectors.base import ActionResult, Outcome, PrincipalRef, Target
from connectors.config import ConnectorConfigError
from connectors.errors import (
    AuthError,
    InvalidRequest,
    NotFound,
    PrincipalNotFound,
    RateLimited,
    TransientError,
    Unsupported,
)
from connectors.registry import build_connectors
from connectors.webhook import WebhookConnector, sign, verify_signature
from tests.support.http_peer import HttpPeer, Reply, WebhookReceiver

SECRET = "shared-webhook-secret"
ALICE = PrincipalRef("alice@example.com", "Alice Liddell")
PAYROLL = Target("admins", {"region": "eu"}, entitlement="payroll:admin")


@pytest.fixture
def peer():
    with HttpPeer(secret=SECRET, default=Reply(200, json={"status": "applied"})) as p:
        yield p


def webhook_for(peer: HttpPeer, **options) -> WebhookConnector:
    settings = {"url": f"{peer.url}/accessbot?tenant=acme", "secret": SECRET, "retry_backoff": 0.001, **options}
    return WebhookConnector("payroll", settings)


def test_grant_posts_a_signed_json_body_with_the_documented_fields(peer):
    result = webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-1")
    assert result.outcome is Outcome.APPLIED
    [request] = peer.requests
    assert request.method == "POST" and request.path == "/accessbot" and request.query == "tenant=acme"
    assert request.signature_ok is True
    assert request.headers["x-accessbot-action-id"] == "act-1"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert set(body) == {"action", "action_id", "person", "entitlement", "target", "options", "sent_at"}
    assert body["action"] == "grant" and body["action_id"] == "act-1"
    assert body["person"] == {"email": "alice@example.com", "name": "Alice Liddell"}
    assert (body["entitlement"], body["target"], body["options"]) == ("payroll:admin", "admins", {"region": "eu"})
    assert body["sent_at"].endswith("Z")
    assert SECRET not in str(request.headers) and SECRET.encode() not in request.body


def test_verify_signature_accepts_what_we_send_and_nothing_else(peer):
    webhook_for(peer).revoke(ALICE, PAYROLL, action_id="act-2")
    [request] = peer.requests
    now = int(request.headers["x-accessbot-timestamp"])
    assert verify_signature(SECRET, request.headers, request.body, now=now)
    assert verify_signature(SECRET.encode(), {k.upper(): v for k, v in request.headers.items()}, request.body, now=now)
    assert not verify_signature(SECRET, request.headers, request.body.replace(b"revoke", b"grant"), now=now)
    assert not verify_signature("another-secret", request.headers, request.body, now=now)
    assert not verify_signature(SECRET, request.headers, request.body, now=now + 301)
    assert not verify_signature(SECRET, {}, request.body, now=now)


def test_verify_signature_accepts_any_of_several_signatures_during_rotation():
    body, timestamp = b'{"action":"ping"}', "1767225600"
    headers = {"X-Accessbot-Timestamp": timestamp,
               "X-Accessbot-Signature": f"{sign('old', timestamp, body)}, {sign('new', timestamp, body)}"}
    assert verify_signature("new", headers, body, now=1767225600)
    assert verify_signature("old", headers, body, now=1767225600)
    assert not verify_signature("other", headers, body, now=1767225600)


def test_during_a_rotation_requests_verify_at_a_receiver_holding_either_secret():
    """Sign with the new secret and the previous one: the receiver may move before or after us."""
    new, old = "the-new-webhook-secret-0001", SECRET
    for receiver_holds in (new, old):
        with HttpPeer(secret=receiver_holds, default=Reply(200, json={"status": "applied"})) as peer:
            rotating = webhook_for(peer, secret=new, previous_secret=old)
            assert rotating.grant(ALICE, PAYROLL, action_id="rot-1").outcome is Outcome.APPLIED
            [request] = peer.requests
            assert request.signature_ok is True
            assert request.headers["x-accessbot-signature"].count("v1=") == 2
    with HttpPeer(secret=old, default=Reply(200, json={"status": "applied"})) as peer:
        webhook_for(peer, secret=new).grant(ALICE, PAYROLL, action_id="rot-2")  # rotation over: new secret only
        assert [r.signature_ok for r in peer.requests] == [False]


def test_an_empty_secret_never_signs_or_verifies():
    with pytest.raises(ConnectorConfigError, match="the shared secret is empty"):
        WebhookConnector("payroll", {"url": "http://127.0.0.1:9/hook", "secret": " "})
    body, timestamp = b"{}", "1767225600"
    empty_key = {"X-Accessbot-Timestamp": timestamp,
                 "X-Accessbot-Signature": "v1=" + hmac.new(b"", b"v1:" + timestamp.encode() + b":" + body,
                                                           hashlib.sha256).hexdigest()}
    assert not verify_signature("", empty_key, body, now=1767225600)
    assert not verify_signature(["", " "], empty_key, body, now=1767225600)


@pytest.mark.parametrize("timestamp", ["", " ", "1767225600.0", "-1767225600", "1_767_225_600", "١٧٦٧٢٢٥٦٠٠",
                                       "9" * 400])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp):
    body = b"{}"
    headers = {"X-Accessbot-Timestamp": timestamp, "X-Accessbot-Signature": sign(SECRET, timestamp, body)}
    assert not verify_signature(SECRET, headers, body, now=1767225600)


@pytest.mark.parametrize(("reply", "outcome"), [
    (Reply(200, json={"status": "applied"}), Outcome.APPLIED),
    (Reply(204), Outcome.APPLIED),
    (Reply(200, json={"status": "already"}), Outcome.ALREADY),
    (Reply(409, json={"detail": "already has it"}), Outcome.ALREADY),
    (Reply(202, json={"status": "pending", "ref": "TICKET-7"}), Outcome.PENDING),
])
def test_answers_map_to_outcomes(peer, reply, outcome):
    peer.script("POST", "/accessbot", reply)
    assert webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-3").outcome is outcome


@pytest.mark.parametrize(("reply", "error"), [
    (Reply(401, json={"error": "bad_signature"}), AuthError),
    (Reply(403), AuthError),
    (Reply(404, json={"error": "person_not_found"}), PrincipalNotFound),
    (Reply(404, body="Not Found"), NotFound),
    (Reply(400, json={"error": "invalid_target", "detail": "no such role"}), InvalidRequest),
    (Reply(422), InvalidRequest),
    (Reply(429, headers={"Retry-After": "120"}), RateLimited),
])
def test_refusals_map_to_error_kinds(peer, reply, error):
    peer.script("POST", "/accessbot", reply)
    with pytest.raises(error) as caught:
        webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-4")
    assert caught.value.http_status == reply.status
    assert SECRET not in str(caught.value)


def test_server_errors_are_retried_with_the_same_action_id_and_a_fresh_signature(peer):
    peer.script("POST", "/accessbot", Reply(503), Reply(drop=True))
    assert webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-5").outcome is Outcome.APPLIED
    assert [r.headers["x-accessbot-action-id"] for r in peer.requests] == ["act-5"] * 3
    assert all(r.signature_ok for r in peer.requests)


def test_server_errors_that_persist_are_transient(peer):
    peer.script("POST", "/accessbot", *[Reply(500)] * 4)
    with pytest.raises(TransientError):
        webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-6")


def test_pending_is_followed_through_status_url(peer):
    connector = webhook_for(peer, status_url=f"{peer.url}/status/{{ref}}")
    peer.script("POST", "/accessbot", Reply(202, json={"status": "pending", "ref": "T/7"}))
    peer.script("GET", "/status/T%2F7", Reply(200, json={"status": "pending"}), Reply(200, json={"status": "done"}))
    pending = connector.grant(ALICE, PAYROLL, action_id="act-7")
    assert (pending.outcome, pending.target_ref) == (Outcome.PENDING, "T/7")
    assert connector.poll(ALICE, PAYROLL, pending).outcome is Outcome.PENDING
    assert connector.poll(ALICE, PAYROLL, pending).outcome is Outcome.APPLIED
    assert all(r.signature_ok for r in peer.requests)


@pytest.mark.parametrize(("retryable", "error"), [(True, TransientError), (False, InvalidRequest)])
def test_a_failed_pending_action_raises(peer, retryable, error):
    connector = webhook_for(peer, status_url=f"{peer.url}/status/{{ref}}")
    peer.script("GET", "/status/T-8", Reply(200, json={"status": "failed", "retryable": retryable, "detail": "HR locked"}))
    with pytest.raises(error, match="HR locked"):
        connector.poll(ALICE, PAYROLL, ActionResult(Outcome.PENDING, target_ref="T-8"))


def test_without_status_url_pending_stays_pending_and_nothing_is_sent(peer):
    pending = ActionResult(Outcome.PENDING, target_ref="T-9")
    assert webhook_for(peer).poll(ALICE, PAYROLL, pending) is pending
    assert peer.requests == []


def test_dry_run_sends_nothing_and_hides_the_query_string(peer):
    result = webhook_for(peer).grant(ALICE, PAYROLL, action_id="act-10", dry_run=True)
    assert result.outcome is Outcome.PLANNED
    assert result.planned_calls == (f"POST {peer.url}/accessbot action=grant person=alice@example.com target=admins",)
    assert peer.requests == []


def test_stateful_receiver_gives_idempotent_grant_and_revoke_and_is_granted():
    receiver = WebhookReceiver()
    with HttpPeer(secret=SECRET, responder=receiver) as peer:
        connector = webhook_for(peer, check_url=f"{peer.url}/check")
        assert connector.is_granted(ALICE, PAYROLL) is False
        outcomes = [connector.grant(ALICE, PAYROLL, action_id="g1").outcome,
                    connector.grant(ALICE, PAYROLL, action_id="g2").outcome]
        assert outcomes == [Outcome.APPLIED, Outcome.ALREADY]
        assert connector.is_granted(ALICE, PAYROLL) is True
        outcomes = [connector.revoke(ALICE, PAYROLL, action_id="r1").outcome,
                    connector.revoke(ALICE, PAYROLL, action_id="r2").outcome]
        assert outcomes == [Outcome.APPLIED, Outcome.ALREADY]
        assert receiver.holdings == set()


def test_is_granted_without_check_url_is_unsupported(peer):
    with pytest.raises(Unsupported):
        webhook_for(peer).is_granted(ALICE, PAYROLL)
    assert peer.requests == []


def test_check_pings_the_endpoint_and_reports_a_wrong_secret_as_auth():
    with HttpPeer(secret=SECRET, responder=WebhookReceiver()) as peer:
        assert all(c.ok for c in webhook_for(peer).check())
        checks = {c.name: c for c in webhook_for(peer, secret="wrong").check()}
        assert checks["credentials"].ok is False
        assert checks["credentials"].error_kind == "auth"
        assert peer.requests[0].json()["action"] == "ping"


def test_check_reports_an_unreachable_endpoint():
    peer = HttpPeer(secret=SECRET).start()
    url = peer.url
    peer.stop()
    connector = WebhookConnector("payroll", {"url": url, "secret": SECRET, "retry_backoff": 0.001})
    checks = {c.name: c for c in connector.check()}
    assert checks["reachability"].ok is False and checks["reachability"].error_kind == "transient"


def test_plain_http_is_refused_outside_loopback():
    with pytest.raises(ConnectorConfigError, match="option 'url': must be an https:// URL"):
        build_connectors({"instances": {"hr": {"type": "webhook", "url": "http://hr.example.com/hook",
                                                "secret": {"env": "S"}}}}, environ={"S": "x"})


def test_a_signature_from_a_stale_clock_is_rejected_by_the_receiver(peer):
    connector = WebhookConnector("payroll", {"url": f"{peer.url}/accessbot", "secret": SECRET},
                                 clock=lambda: time.time() - 3600)
    connector.grant(ALICE, PAYROLL, action_id="act-11")
    assert peer.requests[0].signature_ok is False
