"""The client against a server that misbehaves, over real HTTP on loopback: one that drips its
body, echoes the key, answers 200 with nothing usable, or words its errors unusually."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webapp.gigstack import GigstackClient
from webapp.gigstack.breaker import CircuitBreaker
from webapp.gigstack.errors import CircuitOpen, RateLimited, Timeout, Unavailable, ValidationError
from webapp.sandbox.keys import make_key

KEY = make_key("team_misbehaving", False, "key_misbehaving")


DRIP_BODY = json.dumps({"data": {"id": "x" * 40}}).encode()
DRIPPED: list[int] = []  # the bytes of DRIP_BODY sent so far


class Misbehaving(BaseHTTPRequestHandler):
    """Answers by path: /drip, /echo-key, /empty, /html, /sentence, /flat-field, /slow-down."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?")[0].removeprefix("/v2")
        if path == "/drip":
            body = DRIP_BODY
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            DRIPPED.clear()
            for byte in body:  # one byte every 0.2 s: each read is quick, the whole is not
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
                DRIPPED.append(byte)
                time.sleep(0.2)
        elif path == "/echo-key":
            key = self.headers["Authorization"].removeprefix("Bearer ")
            self._send(
                400,
                json.dumps(
                    {
                        "error": key,
                        "message": f"bad key {key}",
                        "details": [{"field": "k", "message": key}],
                    }
                ).encode(),
            )
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/html":
            self._send(200, b"<html><body>Please sign in to the proxy</body></html>", "text/html")
        elif path == "/sentence":
            self._send(400, json.dumps({"error": "The RFC does not match the CSF."}).encode())
        elif path == "/flat-field":
            self._send(
                400,
                json.dumps(
                    {
                        "code": "invalid_field_value",
                        "field": "zip",
                        "message": "Unknown postal code",
                    }
                ).encode(),
            )
        elif path == "/object-field":
            self._send(
                400,
                json.dumps(
                    {
                        "error": {
                            "code": "invalid_field_value",
                            "field": "rfc",
                            "message": "Wrong check digit",
                        }
                    }
                ).encode(),
            )
        elif path == "/slow-down":
            self._send(
                429,
                json.dumps({"error": "rate_limit_exceeded"}).encode(),
                headers={"Retry-After": "45"},
            )
        else:
            self._send(404, b'{"error": "resource_not_found"}')


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v2"
    httpd.shutdown()


def client(url: str, **options) -> GigstackClient:
    options.setdefault("max_retries", 0)
    return GigstackClient(KEY, base_url=url, **options)


def test_a_dripping_body_cannot_hold_a_call_past_its_budget(server):
    with client(server, budget_seconds=1.5, timeout=(1, 5)) as api:
        with pytest.raises(Timeout):
            api.call("GET", "/drip")
        # bounded by the budget, not by the bytes × 0.2 s the server takes: it is still sending
        assert len(DRIPPED) < len(DRIP_BODY)


def test_a_key_echoed_in_any_field_of_an_error_is_scrubbed(server, caplog):
    with client(server) as api, pytest.raises(ValidationError) as refused:
        api.call("GET", "/echo-key")
    error = refused.value
    for text in (
        str(error),
        repr(error),
        error.code,
        error.message,
        json.dumps(error.details),
        caplog.text,
    ):
        assert KEY not in text
    assert error.message == "***"


def test_a_key_shaped_like_a_code_is_scrubbed_from_the_code_too():
    from webapp.gigstack.errors import parse_error

    error = parse_error(400, {"error": "sk_live_secret_key"})
    assert error.code == "sk_live_secret_key"  # looks like a code, so it became the code
    error.scrub("sk_live_secret_key")
    assert "sk_live_secret_key" not in f"{error} {error!r} {error.code}"


@pytest.mark.parametrize("path", ["/empty", "/html"])
def test_a_200_without_a_usable_body_is_unavailable_not_none(server, path):
    with client(server) as api, pytest.raises(Unavailable) as refused:
        api.call("GET", path)
    assert refused.value.code in {"empty_response", "invalid_response"}


def test_an_error_worded_as_a_sentence_is_the_message_users_read(server):
    with client(server) as api, pytest.raises(ValidationError) as refused:
        api.call("GET", "/sentence")
    assert refused.value.message == "The RFC does not match the CSF."
    assert refused.value.code == "invalid_request_body"  # from the status, not the sentence


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [("/flat-field", "zip", "Unknown postal code"), ("/object-field", "rfc", "Wrong check digit")],
)
def test_a_field_named_beside_the_message_lands_on_that_field(server, path, field, message):
    with client(server) as api, pytest.raises(ValidationError) as refused:
        api.call("GET", path)
    assert refused.value.field_errors == {field: [message]}


def test_repeated_429s_open_the_breaker_for_at_least_retry_after(server):
    now = [1000.0]
    breaker = CircuitBreaker(failure_threshold=3, cooldown=10, clock=lambda: now[0])
    with client(server, breaker=breaker) as api:
        for _ in range(3):
            with pytest.raises(RateLimited):
                api.call("GET", "/slow-down")
        with pytest.raises(CircuitOpen):
            api.call("GET", "/slow-down")
        now[0] += 30  # past the 10 s cooldown, not past the 45 s gigstack asked for
        with pytest.raises(CircuitOpen):
            api.call("GET", "/slow-down")
        now[0] += 16
        with pytest.raises(RateLimited):  # half-open: one trial goes through
            api.call("GET", "/slow-down")


def test_proxy_settings_are_read_once_not_per_call(server, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with client(server) as api:
        assert api.session.trust_env is False
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # read after: never used
        with pytest.raises(ValidationError):
            api.call("GET", "/sentence")
