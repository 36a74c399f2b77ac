"""The one retry layer, against a real HTTP server that throttles, fails and drops connections."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from connectors.errors import AuthError, InvalidRequest, NotFound, RateLimited, TransientError
from connectors.http import ApiClient, epoch_reset_hint, parse_retry_after, raise_for_status
from tests.support.http_peer import HttpPeer, Reply


@pytest.fixture
def peer():
    with HttpPeer(default=Reply(200, json={"ok": True})) as p:
        yield p


class SleepRecorder:
    """Stands in for time.sleep so retries are observable and the suite stays fast."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def client_for(peer: HttpPeer, sleeps: SleepRecorder, **kw) -> ApiClient:
    return ApiClient(peer.url, sleep=sleeps, **kw)


def test_server_errors_are_retried_with_growing_jittered_backoff(peer, sleeps):
    peer.script("GET", "/thing", Reply(503), Reply(500), Reply(502))
    response = client_for(peer, sleeps, backoff=0.5, max_inline_wait=5).request("GET", "/thing")
    assert response.status_code == 200
    assert len(peer.requests_to("GET", "/thing")) == 4
    assert len(sleeps.waits) == 3
    # multiplier * 2**n plus up to one multiplier of jitter
    for n, wait in enumerate(sleeps.waits):
        assert 0.5 * 2**n <= wait <= 0.5 * 2**n + 0.5


def test_retry_after_seconds_is_the_wait(peer, sleeps):
    peer.script("GET", "/thing", Reply(429, headers={"Retry-After": "3"}))
    assert client_for(peer, sleeps).request("GET", "/thing").status_code == 200
    assert sleeps.waits == [3.0]


def test_service_unavailable_with_retry_after_is_honoured(peer, sleeps):
    peer.script("GET", "/thing", Reply(503, headers={"Retry-After": "2"}))
    assert client_for(peer, sleeps).request("GET", "/thing").status_code == 200
    assert sleeps.waits == [2.0]


def test_a_long_wait_is_left_to_the_scheduler_not_slept(peer, sleeps):
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    peer.script("POST", "/thing", Reply(429, headers={"Retry-After": later}))
    with pytest.raises(RateLimited) as caught:
        client_for(peer, sleeps, max_inline_wait=5).request("POST", "/thing", json={})
    assert 3590 <= caught.value.retry_after <= 3600
    assert caught.value.http_status == 429
    assert sleeps.waits == []
    assert len(peer.requests_to("POST", "/thing")) == 1


def test_throttling_that_never_ends_surfaces_as_rate_limited(peer, sleeps):
    peer.script("GET", "/thing", *[Reply(429, headers={"Retry-After": "1"})] * 10)
    with pytest.raises(RateLimited) as caught:
        client_for(peer, sleeps, max_attempts=3).request("GET", "/thing")
    assert caught.value.retry_after == 1.0
    assert len(peer.requests_to("GET", "/thing")) == 3
    assert sleeps.waits == [1.0, 1.0]


def test_a_dropped_connection_is_retried(peer, sleeps):
    peer.script("PATCH", "/thing", Reply(drop=True))
    assert client_for(peer, sleeps).request("PATCH", "/thing", json={}).status_code == 200
    assert len(peer.requests_to("PATCH", "/thing")) == 2


def test_connections_that_keep_dropping_end_as_transient(peer, sleeps):
    peer.script("GET", "/thing", *[Reply(drop=True)] * 4)
    with pytest.raises(TransientError) as caught:
        client_for(peer, sleeps, max_attempts=4).request("GET", "/thing")
    assert not isinstance(caught.value, RateLimited)
    assert caught.value.retryable
    assert len(peer.requests_to("GET", "/thing")) == 4


def test_a_slow_server_times_out_as_transient(peer, sleeps):
    peer.script("GET", "/slow", Reply(delay=0.5))
    with pytest.raises(TransientError, match="timed out"):
        client_for(peer, sleeps, timeout=0.1, max_attempts=1).request("GET", "/slow")


def test_an_unreachable_server_is_transient(sleeps):
    with socket_that_refuses() as url:
        with pytest.raises(TransientError, match="ConnectError"):
            ApiClient(url, sleep=sleeps, max_attempts=2).request("GET", "/")
    assert len(sleeps.waits) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 409])
def test_client_errors_are_returned_once_for_the_connector_to_map(peer, sleeps, status):
    peer.script("GET", "/thing", Reply(status, json={"error": "x"}))
    assert client_for(peer, sleeps).request("GET", "/thing").status_code == status
    assert len(peer.requests_to("GET", "/thing")) == 1
    assert sleeps.waits == []


def test_error_details_leave_out_the_query_string(peer, sleeps):
    peer.script("GET", "/hook", Reply(500), Reply(500))
    with pytest.raises(TransientError) as caught:
        client_for(peer, sleeps, max_attempts=2).request("GET", "/hook?sig=very-secret")
    assert "very-secret" not in str(caught.value)
    assert "/hook" in str(caught.value)


def test_epoch_reset_header_sets_the_wait(peer, sleeps):
    reset = str(int(time.time()) + 2)
    peer.script("GET", "/thing", Reply(429, headers={"X-Rate-Limit-Reset": reset}))
    client = client_for(peer, sleeps, rate_limit_hint=epoch_reset_hint("x-rate-limit-reset"))
    assert client.request("GET", "/thing").status_code == 200
    assert len(sleeps.waits) == 1 and 0.5 <= sleeps.waits[0] <= 2.0


@pytest.mark.parametrize(("value", "expected"), [
    ("120", 120.0),
    ("1.5", 1.5),
    ("0", 0.0),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
    ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),   # in the past: go now
    ("soon", None),
    ("-3", None),
    ("", None),
    (None, None),
])
def test_retry_after_parses_seconds_and_http_dates(value, expected):
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthError), (403, AuthError), (404, NotFound), (400, InvalidRequest), (422, InvalidRequest),
])
def test_unhandled_statuses_map_to_error_kinds(status, error):
    response = httpx.Response(status, text="<html>nope</html>", request=httpx.Request("GET", "http://x/y"))
    with pytest.raises(error) as caught:
        raise_for_status(response)
    assert caught.value.http_status == status
    assert "GET /y: HTTP" in caught.value.detail


class socket_that_refuses:
    """A port that was just free: connecting to it is refused."""

    def __enter__(self) -> str:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        pass
