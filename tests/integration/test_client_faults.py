"""The client library against the real sandbox under injected faults (all over HTTP)."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from webapp.gigstack import (
    CircuitBreaker,
    CircuitOpen,
    ConnectionFailed,
    GigstackClient,
    RateLimited,
    Timeout,
    Unavailable,
)

NEW_SERVICE = {
    "description": "Servicio de prueba",
    "unit_price": 100,
    "product_key": "84111506",
    "unit_key": "E48",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(sandbox, keys, **kwargs) -> GigstackClient:
    kwargs.setdefault("sleep", lambda seconds: time.sleep(min(seconds, 0.05)))
    return GigstackClient(keys["partner_test"]["key"], base_url=sandbox.api_url, **kwargs)


def test_timeout_on_a_hanging_upstream(sandbox, keys, faults, sandbox_requests):
    faults({"hangs": [{"method": "GET", "path": "/services", "seconds": 3}]})
    with make_client(sandbox, keys, timeout=(1.0, 0.3), max_retries=0) as client:
        sandbox_requests.clear()
        # the sandbox answers after 3 s: a Timeout means the client gave up first, on its own
        with pytest.raises(Timeout, match=r"did not answer within 0\.3 s"):
            client.services.list()
        assert [r.path for r in sandbox_requests] == ["/v2/services"]  # once, not retried


def test_refused_connection(keys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = GigstackClient(
        keys["partner_test"]["key"],
        base_url=f"http://127.0.0.1:{port}/v2",
        max_retries=1,
        sleep=lambda s: None,
    )
    with client, pytest.raises(ConnectionFailed):
        client.services.list()


def test_429_retry_after_is_honoured_then_succeeds(sandbox, keys, faults):
    faults(
        {
            "rules": [
                {"method": "GET", "path": "/services", "status": 429, "times": 1, "retry_after": 1}
            ]
        }
    )
    waits: list[float] = []
    with make_client(sandbox, keys, sleep=waits.append) as client:
        page = client.services.list()
    assert page.items
    assert waits and waits[0] >= 1


def test_429_retry_after_beyond_budget_raises(sandbox, keys, faults):
    faults(
        {
            "rules": [
                {
                    "method": "GET",
                    "path": "/services",
                    "status": 429,
                    "times": 1,
                    "retry_after": 120,
                }
            ]
        }
    )
    with (
        make_client(sandbox, keys, budget_seconds=5) as client,
        pytest.raises(RateLimited) as caught,
    ):
        client.services.list()
    assert caught.value.retry_after == 120


def test_get_is_retried_on_5xx(sandbox, keys, faults):
    faults({"rules": [{"method": "GET", "path": "/services", "status": 503, "times": 2}]})
    with make_client(sandbox, keys) as client:
        assert client.services.list().items


def test_post_without_idempotency_key_is_not_retried(sandbox, keys, faults, raw):
    faults({"rules": [{"method": "POST", "path": "/services", "status": 500, "times": 1}]})
    before = raw.get("/services", params={"limit": 1}).json()["total_results"]
    with make_client(sandbox, keys) as client:
        with pytest.raises(Unavailable):
            client.services.create(NEW_SERVICE)
        # the single fault was consumed by the single attempt: the next create goes through
        client.services.create(NEW_SERVICE)
    assert raw.get("/services", params={"limit": 1}).json()["total_results"] == before + 1


def test_breaker_opens_fails_fast_and_recovers(sandbox, keys, faults, sandbox_requests):
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    faults({"rules": [{"method": "GET", "path": "/services", "status": 503}]})
    with make_client(sandbox, keys, breaker=breaker, max_retries=0) as client:
        for _ in range(3):
            with pytest.raises(Unavailable):
                client.services.list()
        assert breaker.state == "open"
        faults({})  # upstream healthy again, but the breaker still fails fast
        sandbox_requests.clear()
        with pytest.raises(CircuitOpen):
            client.services.list()
        assert sandbox_requests == []  # fails fast: the call never reaches gigstack
        clock.now += 31  # cooldown over: one trial goes through and closes it
        assert client.services.list().items
        assert breaker.state == "closed"


def test_api_key_never_in_logs_or_errors(sandbox, keys, faults, caplog):
    key = keys["partner_test"]["key"]
    caplog.set_level(logging.DEBUG)
    faults({"rules": [{"method": "GET", "path": "/services", "status": 500, "times": 1}]})
    with make_client(sandbox, keys, max_retries=0) as client:
        try:
            client.services.list()
        except Unavailable as exc:
            assert key not in str(exc) and key not in repr(exc)
        client.services.list()
        assert key not in repr(client) and key not in str(client)
    assert caplog.records
    assert key not in caplog.text
