"""The gigstack client against a tiny scripted HTTP server on 127.0.0.1 (no mocks of requests).

Each test starts a real ``ThreadingHTTPServer`` whose handler is a plain Python function of the
recorded request, so retries, timeouts, the breaker, downloads and paging are exercised over real
sockets while staying fast (sleeps and the budget clock are injected).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from webapp.gigstack import (
    CSF_UPLOAD_PATH,
    CircuitBreaker,
    CircuitOpen,
    ConnectionFailed,
    Forbidden,
    GigstackClient,
    GigstackError,
    NotFound,
    Page,
    RateLimited,
    RetryPolicy,
    Timeout,
    Unauthorized,
    Unavailable,
    ValidationError,
)

S0 = 1_709_294_400  # 2024-03-01T12:00:00Z
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


CLAIMS = {"team": "team_x", "livemode": False, "key_id": "key_abc123"}
KEY = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(CLAIMS)}."


# --- the scripted server ----------------------------------------------------------------------


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Resp:
    status: int = 200
    body: Any = field(default_factory=lambda: {"message": "ok", "data": {}})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Req], Resp]


class ScriptedServer:
    """Records every request and answers with ``handler(req)``."""

    def __init__(self) -> None:
        self.requests: list[Req] = []
        self.handler: Handler = lambda req: Resp()
        server = self

        class _H(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Req(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(req)
                resp = server.handler(req)
                if resp.delay:
                    time.sleep(resp.delay)
                if isinstance(resp.body, bytes):
                    raw = resp.body
                    ctype = "application/octet-stream"
                elif isinstance(resp.body, str):
                    raw = resp.body.encode()
                    ctype = "text/html"
                else:
                    raw = json.dumps(resp.body).encode()
                    ctype = "application/json"
                try:
                    self.send_response(resp.status)
                    headers = {"Content-Type": ctype, **resp.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.origin}/v2"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def sequence(self, *responses: Resp) -> None:
        """Answer with these in order, then repeat the last one."""
        queue = list(responses)

        def handler(req: Req) -> Resp:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler = handler

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """Monotonic clock that only moves when the client 'sleeps' (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(
    server: ScriptedServer, clock: FakeClock
) -> Iterator[Callable[..., GigstackClient]]:
    made: list[GigstackClient] = []

    def make(**kwargs: Any) -> GigstackClient:
        kwargs.setdefault("sleep", clock.sleep)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("timeout", (2.0, 2.0))
        kwargs.setdefault("retry_policy", RetryPolicy(max_retries=3, rng=lambda: 0.5))
        client = GigstackClient(KEY, kwargs.pop("base_url", server.base_url), **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def api(make_client: Callable[..., GigstackClient]) -> GigstackClient:
    return make_client()


def ok(data: Any, status: int = 200, **extra: Any) -> Resp:
    return Resp(status, {"message": "ok", "data": data, **extra})


def err(status: int, code: str | None = None, **extra: Any) -> Resp:
    body: dict[str, Any] = {"message": f"failed {status}", **extra}
    if code:
        body["error"] = code
    return Resp(status, body)


# --- basics -----------------------------------------------------------------------------------


def test_headers_envelope_and_times(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(
        ok(
            [{"id": "client_1", "created_at": S0}, None],
            has_more=False,
            total_results=1,
            success=True,
            timestamp=S0 * 1000,
        )
    )
    page = api.clients.list(limit=5)
    assert isinstance(page, Page)
    assert page.items == [{"id": "client_1", "created_at": T0}]
    assert (page.has_more, page.total_results, page.next) == (False, 1, None)
    req = server.requests[0]
    assert (req.method, req.path, req.query) == ("GET", "/v2/clients", {"limit": "5"})
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["accept"] == "application/json"
    assert "gigstack-backoffice" in req.headers["user-agent"]


def test_key_info_repr_and_context_manager(server: ScriptedServer) -> None:
    with GigstackClient(KEY, server.base_url + "/") as client:
        assert client.key_info.team == "team_x" and client.is_test
        assert repr(client) == f"<GigstackClient live=False team='team_x' url='{server.base_url}'>"
        assert str(client) == repr(client)


def test_team_query_and_for_team(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok({"id": "c"}))
    api.clients.get("c", team="team_y")
    scoped = api.for_team("team_z")
    scoped.clients.get("c")
    scoped.invoices.get("U1", kind="egress")
    scoped.clients.get("c", team="team_override")
    api.clients.get("c")
    teams = [r.query.get("team") for r in server.requests]
    assert teams == ["team_y", "team_z", "team_z", "team_override", None]
    assert server.requests[2].path == "/v2/invoices/egress/U1"
    assert "team_z" in repr(scoped) and scoped.key_info.team == "team_x"


def test_list_params_and_filters(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok([], has_more=False, total_results=0))
    api.invoices.list(
        "payment",
        status="valid",
        invoice_id="U-1",
        created_gte=T0,
        created_lte=S0 + 60,
        order_by="name",
        sort="asc",
        next="cur",
    )
    assert server.requests[0].path == "/v2/invoices/payment"
    assert server.requests[0].query == {
        "status": "valid",
        "invoice_id": "U-1",
        "created[gte]": str(S0),
        "created[lte]": str(S0 + 60),
        "order_by": "name",
        "sort": "asc",
        "next": "cur",
    }
    with pytest.raises(ValueError):
        api.invoices.list("drafts")  # type: ignore[arg-type]


# --- errors over HTTP -------------------------------------------------------------------------


def test_error_shapes_over_http(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(
        err(404, "resource_not_found"),
        Resp(
            400,
            {
                "message": "Invalid request",
                "error": {
                    "code": "validation_failed",
                    "details": [{"field": "email", "message": "bad"}],
                },
            },
        ),
        Resp(200, {"success": False, "message": "Not allowed", "error": "forbidden"}),
        Resp(502, "<html>Bad gateway</html>"),
        Resp(418, b""),
    )
    with pytest.raises(NotFound) as nf:
        api.clients.get("nope")
    assert nf.value.message == "failed 404" and nf.value.status == 404
    with pytest.raises(ValidationError) as ve:
        api.clients.create({"email": "x"})
    assert ve.value.field_errors == {"email": ["bad"]}
    with pytest.raises(Forbidden) as fb:
        api.clients.create({"name": "x"})
    assert fb.value.status == 200
    with pytest.raises(Unavailable) as un:
        api.clients.create({"name": "x"})
    assert un.value.code == "external_service_error" and un.value.message == "API error 502"
    with pytest.raises(GigstackError) as odd:
        api.clients.create({"name": "x"})
    assert odd.value.code == "http_418"
    assert len(server.requests) == 5  # POSTs: nothing retried


def test_non_json_success_body_is_an_error(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(Resp(200, "<html>hello</html>"))
    with pytest.raises(GigstackError) as info:
        api.services.get("s")
    assert info.value.code == "invalid_response"


# --- retries ----------------------------------------------------------------------------------


def test_get_retried_on_500_and_503_then_succeeds(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    server.sequence(err(500, "internal_server_error"), err(503), ok({"id": "s1"}))
    assert api.services.get("s1") == {"id": "s1"}
    assert len(server.requests) == 3
    assert clock.sleeps == [0.125, 0.25]  # full jitter with rng=0.5: 0.5 × 0.25·2ⁿ


def test_put_retried(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(err(504), ok({"id": "s1", "name": "n"}))
    assert api.services.update("s1", {"name": "n"})["name"] == "n"
    assert [r.method for r in server.requests] == ["PUT", "PUT"]


def test_post_without_idempotency_key_not_retried(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    server.sequence(err(503, "service_unavailable"), ok({"id": "p"}))
    with pytest.raises(Unavailable):
        api.payments.register({"total": 10})
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_post_with_idempotency_key_retried(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(err(502, "external_service_error"), ok({"uuid": "U"}, 201))
    invoice = api.invoices.create_income({"idempotency_key": "idem-1", "items": []})
    assert invoice["uuid"] == "U"
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body


def test_a_delete_answered_204_no_content_is_done(
    server: ScriptedServer, api: GigstackClient
) -> None:
    """HTTP's ordinary success for a delete (the object is gone), not "gigstack unavailable"."""
    server.sequence(Resp(204, b""), Resp(204, b""), Resp(204, b""))
    assert api.services.delete("service_1") == {"id": "service_1", "deleted": True}
    assert api.payments.cancel("payment_1")["id"] == "payment_1"
    assert api.invoices.cancel("6F9619FF-8B86-4011-B42D-00CF4FC964FF", "02")["uuid"] == (
        "6F9619FF-8B86-4011-B42D-00CF4FC964FF"
    )
    assert [r.method for r in server.requests] == ["DELETE"] * 3
    server.sequence(Resp(204, b""))  # a read answered with nothing has nothing to show
    with pytest.raises(Unavailable):
        api.services.get("service_1")


def test_delete_never_retried(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(err(500), ok({"id": "w", "deleted": True}))
    with pytest.raises(Unavailable):
        api.webhooks.delete("w")
    assert len(server.requests) == 1


def test_retries_exhausted_raise_last_error(
    server: ScriptedServer, make_client: Callable[..., GigstackClient]
) -> None:
    api = make_client(retry_policy=RetryPolicy(max_retries=2, rng=lambda: 0.1))
    server.sequence(err(500, "database_error"))
    with pytest.raises(Unavailable) as info:
        api.clients.list()
    assert info.value.code == "database_error"
    assert len(server.requests) == 3


def test_429_retry_after_within_budget_is_honoured(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    limited = err(429, "rate_limit_exceeded")
    limited.headers["Retry-After"] = "2"
    server.sequence(limited, ok([], has_more=False))
    assert len(api.users.list()) == 0
    assert clock.sleeps == [2.0]
    assert len(server.requests) == 2


def test_429_retry_after_over_budget_raises_at_once(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    limited = err(429, "rate_limit_exceeded")
    limited.headers["Retry-After"] = "60"
    server.sequence(limited, ok({}))
    with pytest.raises(RateLimited) as info:
        api.users.get("u")
    assert info.value.retry_after == 60.0
    assert clock.sleeps == [] and len(server.requests) == 1


def test_503_retry_after_over_budget_raises_unavailable(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    down = err(503, "service_unavailable")
    down.headers["Retry-After"] = "120"
    server.sequence(down)
    with pytest.raises(Unavailable) as info:
        api.teams.get("team_x")
    assert info.value.retry_after == 120.0 and len(server.requests) == 1


def test_429_on_plain_post_raised_with_retry_after(
    server: ScriptedServer, api: GigstackClient, clock: FakeClock
) -> None:
    limited = err(429, "rate_limit_exceeded")
    limited.headers["Retry-After"] = "1"
    server.sequence(limited)
    with pytest.raises(RateLimited) as info:
        api.users.create({"email": "a@b.mx"})
    assert info.value.retry_after == 1.0 and clock.sleeps == [] and len(server.requests) == 1


# --- timeouts and connection errors -----------------------------------------------------------


def transport_timeouts(api: GigstackClient, clock: FakeClock) -> list[tuple[float, float]]:
    """The ``timeout`` each attempt hands to the transport (requests), recorded; an attempt
    that times out moves ``clock`` on by its read timeout, the time it waited."""
    seen: list[tuple[float, float]] = []
    send = api.session.request

    def request(*args: Any, **kwargs: Any) -> requests.Response:
        seen.append(kwargs["timeout"])
        try:
            return send(*args, **kwargs)
        except requests.exceptions.Timeout:
            clock.now += kwargs["timeout"][1]
            raise

    api.session.request = request  # type: ignore[method-assign]
    return seen


def test_read_timeout_raises_timeout(
    server: ScriptedServer, make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    api = make_client(timeout=(1.0, 0.2), retry_policy=RetryPolicy(max_retries=0))
    timeouts = transport_timeouts(api, clock)
    server.sequence(Resp(delay=0.6))  # answers only after the read timeout
    with pytest.raises(Timeout) as info:
        api.clients.get("c")
    assert timeouts == [(1.0, 0.2)]  # waited at most 0.2 s for the answer, once
    assert isinstance(info.value, Unavailable) and info.value.status is None


def test_timeout_retried_for_get(
    server: ScriptedServer, make_client: Callable[..., GigstackClient]
) -> None:
    api = make_client(timeout=(1.0, 0.2))
    server.sequence(Resp(delay=0.5), ok({"id": "c"}))
    assert api.clients.get("c") == {"id": "c"}
    assert len(server.requests) == 2


def test_budget_caps_the_attempt_timeout(
    server: ScriptedServer, make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    api = make_client(timeout=(3.0, 10.0), budget_seconds=0.3)
    timeouts = transport_timeouts(api, clock)
    server.sequence(Resp(delay=1.0))
    with pytest.raises(Timeout):
        api.clients.get("c")
    # the one attempt waited what the budget allowed, not 3 s / 10 s; then no time was left
    assert timeouts == [pytest.approx((0.3, 0.3))]


def test_refused_connection_raises_connection_failed(
    make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    api = make_client(base_url=f"http://127.0.0.1:{port}/v2")
    with pytest.raises(ConnectionFailed) as info:
        api.clients.get("c")
    assert len(clock.sleeps) == 3  # GET: retried, then gave up
    assert KEY not in str(info.value)
    clock.sleeps.clear()
    with pytest.raises(ConnectionFailed):
        api.clients.create({"name": "x"})
    assert clock.sleeps == []  # POST: not retried


# --- circuit breaker --------------------------------------------------------------------------


def test_breaker_opens_fails_fast_half_opens_and_closes(
    server: ScriptedServer, make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    api = make_client(breaker=breaker, retry_policy=RetryPolicy(max_retries=0))
    server.sequence(err(500, "internal_server_error"))
    for _ in range(3):
        with pytest.raises(Unavailable):
            api.clients.list()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as info:
        api.clients.list()
    assert isinstance(info.value, Unavailable) and info.value.retry_after == pytest.approx(30)
    assert len(server.requests) == 3  # failed fast: nothing reached the server

    clock.now += 30  # cooldown over: half-open, one trial, which fails
    with pytest.raises(Unavailable) as trial:
        api.clients.list()
    assert not isinstance(trial.value, CircuitOpen)
    assert len(server.requests) == 4
    with pytest.raises(CircuitOpen):
        api.clients.list()
    assert len(server.requests) == 4

    clock.now += 30  # next trial succeeds and closes the breaker
    server.sequence(ok([], has_more=False))
    api.clients.list()
    assert breaker.state == "closed"
    api.clients.list()
    assert len(server.requests) == 6


def test_breaker_ignores_4xx_and_counts_timeouts(
    server: ScriptedServer, make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10, clock=clock)
    api = make_client(breaker=breaker, retry_policy=RetryPolicy(max_retries=0), timeout=(1.0, 0.1))
    server.sequence(err(404, "resource_not_found"))
    for _ in range(4):
        with pytest.raises(NotFound):
            api.clients.get("x")
    assert breaker.state == "closed"
    server.sequence(Resp(delay=0.3))
    for _ in range(2):
        with pytest.raises(Timeout):
            api.clients.get("x")
    assert breaker.state == "open"


def test_breaker_stops_retry_loop(
    server: ScriptedServer, make_client: Callable[..., GigstackClient], clock: FakeClock
) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10, clock=clock)
    api = make_client(breaker=breaker)
    server.sequence(err(503, "service_unavailable"))
    with pytest.raises(Unavailable) as info:
        api.clients.list()
    assert not isinstance(info.value, CircuitOpen)  # the real upstream error is reported
    assert len(server.requests) == 2


# --- pagination over HTTP ---------------------------------------------------------------------


def _pager(pages: dict[str | None, dict[str, Any]]) -> Handler:
    def handler(req: Req) -> Resp:
        return Resp(200, {"message": "ok", **pages[req.query.get("next")]})

    return handler


def test_iter_has_more_false(server: ScriptedServer, api: GigstackClient) -> None:
    server.handler = _pager(
        {
            None: {"data": [{"id": 1}, None], "has_more": True, "total_results": 3, "next": "a"},
            "a": {"data": [{"id": 2}], "has_more": True, "total_results": 3, "next": "b"},
            "b": {"data": [{"id": 3}], "has_more": False, "total_results": 3},
        }
    )
    assert [c["id"] for c in api.clients.iter(limit=1)] == [1, 2, 3]
    assert [r.query.get("next") for r in server.requests] == [None, "a", "b"]
    assert all(r.query["limit"] == "1" for r in server.requests)


@pytest.mark.parametrize("envelope_next", ["missing", ""])
def test_iter_stops_without_next(
    server: ScriptedServer, api: GigstackClient, envelope_next: str
) -> None:
    first: dict[str, Any] = {"data": [{"id": 1}], "has_more": True, "total_results": 9}
    if envelope_next != "missing":
        first["next"] = envelope_next
    server.handler = _pager({None: first})
    assert [c["id"] for c in api.clients.iter()] == [1]
    assert len(server.requests) == 1


def test_iter_stops_on_repeated_cursor(server: ScriptedServer, api: GigstackClient) -> None:
    server.handler = _pager(
        {
            None: {"data": [{"uuid": "A"}], "has_more": True, "next": "c1"},
            "c1": {"data": [{"uuid": "B"}], "has_more": True, "next": "c2"},
            "c2": {"data": [{"uuid": "C"}], "has_more": True, "next": "c1"},
        }
    )
    assert [i["uuid"] for i in api.invoices.iter("egress")] == ["A", "B", "C"]
    assert len(server.requests) == 3


def test_iter_stops_at_page_cap(server: ScriptedServer, api: GigstackClient) -> None:
    def endless(req: Req) -> Resp:
        n = len(server.requests)
        return ok([{"id": n}], has_more=True, next=f"cursor-{n}")

    server.handler = endless
    assert len(list(api.payments.iter(status="succeeded", max_pages=4))) == 4
    assert len(server.requests) == 4
    assert server.requests[-1].query == {"status": "succeeded", "next": "cursor-3"}


def test_search_returns_one_page(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok([{"id": "X", "status": "stamped"}], has_more=True, total_results=40))
    page = api.invoices.search("A-12", limit=3)
    assert page.items == [{"id": "X", "uuid": "X", "status": "valid"}]
    assert page.has_more and page.next is None
    assert server.requests[0].query == {"q": "A-12", "limit": "3"}


# --- files ------------------------------------------------------------------------------------

PDF = b"%PDF-1.4 fake pdf"
XML = b'<?xml version="1.0"?><cfdi:Comprobante/>'


def _files_server(server: ScriptedServer, *, expire_first: bool = False) -> None:
    issued = {"n": 0}

    def handler(req: Req) -> Resp:
        if req.path.startswith("/v2/invoices/") and req.path.endswith("/files"):
            issued["n"] += 1
            n = issued["n"]
            links = {
                "pdf": f"{server.origin}/files/pdf-{n}?expires=1&signature=s3cr3t",
                "xml": f"{server.origin}/files/xml-{n}?expires=1&signature=s3cr3t",
            }
            wanted = req.query.get("file_type")
            return ok({wanted: links[wanted]} if wanted else links)
        if req.path.startswith("/files/"):
            if "authorization" in req.headers:
                return err(400, "invalid_request_body", note="auth header sent to a file URL")
            if expire_first and req.path.endswith("-1"):
                return err(403, "forbidden")
            kind = req.path.split("/")[-1].split("-")[0]
            content, ctype = (PDF, "application/pdf") if kind == "pdf" else (XML, "application/xml")
            return Resp(
                200,
                content,
                {
                    "Content-Type": ctype,
                    "Content-Disposition": f'attachment; filename="UUID-1.{kind}"',
                },
            )
        return err(404, "resource_not_found")

    server.handler = handler


def test_download_sends_no_authorization(server: ScriptedServer, api: GigstackClient) -> None:
    _files_server(server)
    links = api.invoices.files("UUID-1")
    assert set(links) == {"pdf", "xml"}
    download = api.invoices.download(links["pdf"])
    assert (download.content, download.content_type, download.filename) == (
        PDF,
        "application/pdf",
        "UUID-1.pdf",
    )
    file_req = server.requests[-1]
    assert file_req.path == "/files/pdf-1"
    assert "authorization" not in file_req.headers
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_download_strips_auth_even_from_an_injected_session(
    server: ScriptedServer, make_client: Callable[..., GigstackClient]
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    api = make_client(session=session)
    _files_server(server)
    assert api.invoices.download_file("UUID-1", "xml").content == XML
    assert "authorization" not in server.requests[-1].headers
    assert server.requests[0].query == {"file_type": "xml"}
    session.close()


def test_download_file_reasks_once_on_403(server: ScriptedServer, api: GigstackClient) -> None:
    _files_server(server, expire_first=True)
    download = api.invoices.download_file("UUID-1", "pdf")
    assert download.content == PDF
    paths = [r.path for r in server.requests]
    assert paths == [
        "/v2/invoices/UUID-1/files",
        "/files/pdf-1",
        "/v2/invoices/UUID-1/files",
        "/files/pdf-2",
    ]


def test_zip_contains_pdf_and_xml(server: ScriptedServer, api: GigstackClient) -> None:
    _files_server(server)
    data = api.invoices.zip("UUID-1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["UUID-1.pdf", "UUID-1.xml"]
        assert archive.read("UUID-1.pdf") == PDF
        assert archive.read("UUID-1.xml") == XML


def test_missing_file_is_not_found(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok({"xml": "http://127.0.0.1:1/x"}))
    with pytest.raises(NotFound):
        api.invoices.download_file("U", "pdf")


# --- secrets never leak -----------------------------------------------------------------------


def test_key_never_leaks(
    server: ScriptedServer, api: GigstackClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(req: Req) -> Resp:
        if req.path.endswith("/fail"):
            echoed = req.headers.get("authorization", "")
            return Resp(
                401,
                {"message": f"invalid token {echoed}", "error": "invalid_token", "details": echoed},
            )
        return ok({"id": "user_1", "created_at": S0})

    server.handler = handler
    with pytest.raises(Unauthorized) as info:
        api.users.get("fail")
    assert api.users.get("ok")["created_at"] == T0
    api.teams.upload_csd("team_x", b"CERTBYTES", io.BytesIO(b"KEYBYTES"), "hunter2-password")
    api.users.create({"email": "a@b.mx", "password": "hunter2-password"})
    exc = info.value
    texts = [
        str(exc),
        repr(exc),
        exc.message,
        json.dumps(exc.details),
        repr(api),
        str(api),
        repr(api.key_info),
        repr(api.for_team("t")),
        repr(vars(api)),
        caplog.text,
    ]
    for text in texts:
        assert KEY not in text
        assert "hunter2-password" not in text
        assert "KEYBYTES" not in text
    assert "***" in exc.message
    assert "gigstack GET /users/ok -> 200" in caplog.text
    assert any(r.name == "webapp.gigstack" for r in caplog.records)


# --- every endpoint hits the right route ------------------------------------------------------

ENDPOINTS: list[tuple[str, Callable[[GigstackClient], Any], str, str, Any]] = [
    ("clients.list", lambda a: a.clients.list(), "GET", "/clients", None),
    ("clients.search", lambda a: a.clients.search("acme", 5), "GET", "/clients/search", None),
    ("clients.get", lambda a: a.clients.get("c1"), "GET", "/clients/c1", None),
    (
        "clients.create",
        lambda a: a.clients.create({"name": "A"}),
        "POST",
        "/clients",
        {"name": "A"},
    ),
    (
        "clients.update",
        lambda a: a.clients.update("c1", {"name": "B"}),
        "PUT",
        "/clients/c1",
        {"name": "B"},
    ),
    ("clients.delete", lambda a: a.clients.delete("c1"), "DELETE", "/clients/c1", None),
    ("clients.validate", lambda a: a.clients.validate("c1"), "POST", "/clients/validate/c1", {}),
    (
        "clients.portal_link",
        lambda a: a.clients.portal_link(email="a@b.mx"),
        "POST",
        "/clients/customerportal",
        {"email": "a@b.mx"},
    ),
    (
        "clients.stamp_pending",
        lambda a: a.clients.stamp_pending_receipts("c1"),
        "POST",
        "/clients/c1/stamp-pending-receipts",
        {},
    ),
    ("services.list", lambda a: a.services.list(), "GET", "/services", None),
    ("services.get", lambda a: a.services.get("s1"), "GET", "/services/s1", None),
    (
        "services.create",
        lambda a: a.services.create({"description": "d"}),
        "POST",
        "/services",
        {"description": "d"},
    ),
    (
        "services.update",
        lambda a: a.services.update("s1", {"unit_price": 1}),
        "PUT",
        "/services/s1",
        {"unit_price": 1},
    ),
    ("services.delete", lambda a: a.services.delete("s1"), "DELETE", "/services/s1", None),
    ("invoices.list", lambda a: a.invoices.list(), "GET", "/invoices/income", None),
    (
        "invoices.get",
        lambda a: a.invoices.get("U1", kind="payment"),
        "GET",
        "/invoices/payment/U1",
        None,
    ),
    (
        "invoices.create_income",
        lambda a: a.invoices.create_income({"x": 1}),
        "POST",
        "/invoices/income",
        {"x": 1},
    ),
    (
        "invoices.create_egress",
        lambda a: a.invoices.create_egress({"x": 1}),
        "POST",
        "/invoices/egress",
        {"x": 1},
    ),
    ("invoices.search", lambda a: a.invoices.search("A1"), "GET", "/invoices/search", None),
    (
        "invoices.send",
        lambda a: a.invoices.send("U1", ["a@b.mx"]),
        "POST",
        "/invoices/U1/send",
        {"emails": ["a@b.mx"]},
    ),
    ("invoices.send_default", lambda a: a.invoices.send("U1"), "POST", "/invoices/U1/send", {}),
    (
        "invoices.cancel",
        lambda a: a.invoices.cancel("U1", "01", "U2"),
        "DELETE",
        "/invoices/U1",
        {"motive": "01", "substitution_uuid": "U2"},
    ),
    ("invoices.files", lambda a: a.invoices.files("U1", "pdf"), "GET", "/invoices/U1/files", None),
    ("payments.list", lambda a: a.payments.list(currency="USD"), "GET", "/payments", None),
    ("payments.get", lambda a: a.payments.get("p1"), "GET", "/payments/p1", None),
    (
        "payments.request",
        lambda a: a.payments.request({"x": 1}),
        "POST",
        "/payments/request",
        {"x": 1},
    ),
    (
        "payments.register",
        lambda a: a.payments.register({"x": 1}),
        "POST",
        "/payments/register",
        {"x": 1},
    ),
    (
        "payments.update",
        lambda a: a.payments.update("p1", {"x": 1}),
        "PUT",
        "/payments/p1",
        {"x": 1},
    ),
    (
        "payments.mark_paid",
        lambda a: a.payments.mark_paid("p1", "03"),
        "POST",
        "/payments/p1/paid",
        {"payment_form": "03"},
    ),
    ("payments.refund_full", lambda a: a.payments.refund("p1"), "POST", "/payments/p1/refund", {}),
    (
        "payments.refund_part",
        lambda a: a.payments.refund("p1", 5.5, "r", True),
        "POST",
        "/payments/p1/refund",
        {"amount": 5.5, "reason": "r", "external_processor_refund": True},
    ),
    ("payments.cancel", lambda a: a.payments.cancel("p1"), "DELETE", "/payments/p1", None),
    ("receipts.list", lambda a: a.receipts.list("pending"), "GET", "/receipts", None),
    ("receipts.get", lambda a: a.receipts.get("r1"), "GET", "/receipts/r1", None),
    (
        "receipts.create",
        lambda a: a.receipts.create({"items": []}),
        "POST",
        "/receipts",
        {"items": []},
    ),
    ("receipts.stamp", lambda a: a.receipts.stamp("r1"), "POST", "/receipts/r1/stamp", {}),
    ("receipts.cancel", lambda a: a.receipts.cancel("r1"), "DELETE", "/receipts/r1", None),
    ("teams.list", lambda a: a.teams.list(), "GET", "/teams", None),
    ("teams.get", lambda a: a.teams.get("t1"), "GET", "/teams/t1", None),
    (
        "teams.create",
        lambda a: a.teams.create({"legal_name": "L"}),
        "POST",
        "/teams",
        {"legal_name": "L"},
    ),
    (
        "teams.update",
        lambda a: a.teams.update("t1", {"legal_name": "L"}),
        "PUT",
        "/teams/t1",
        {"legal_name": "L"},
    ),
    ("teams.delete", lambda a: a.teams.delete("t1"), "DELETE", "/teams/t1", None),
    ("teams.integrations", lambda a: a.teams.integrations(), "GET", "/teams/integrations", None),
    ("teams.members", lambda a: a.teams.members("t1"), "GET", "/teams/t1/members", None),
    (
        "teams.add_member",
        lambda a: a.teams.add_member("t1", "u1", "editor"),
        "POST",
        "/teams/t1/add-member",
        {"id": "u1", "role": "editor"},
    ),
    (
        "teams.remove_member",
        lambda a: a.teams.remove_member("t1", "u1"),
        "POST",
        "/teams/t1/remove-member",
        {"id": "u1"},
    ),
    ("teams.series", lambda a: a.teams.series("t1"), "GET", "/teams/t1/series", None),
    (
        "teams.create_series",
        lambda a: a.teams.create_series("t1", "F"),
        "POST",
        "/teams/t1/series",
        {"series": "F", "live": 0, "test": 0},
    ),
    (
        "teams.update_series",
        lambda a: a.teams.update_series("t1", "ser_1", test=4),
        "PUT",
        "/teams/t1/series/ser_1",
        {"test": 4},
    ),
    ("teams.settings", lambda a: a.teams.settings("t1"), "GET", "/teams/t1/settings", None),
    (
        "teams.update_settings",
        lambda a: a.teams.update_settings("t1", {"use": "G03"}),
        "PUT",
        "/teams/t1/settings",
        {"use": "G03"},
    ),
    ("users.list", lambda a: a.users.list(), "GET", "/users", None),
    ("users.get", lambda a: a.users.get("u1"), "GET", "/users/u1", None),
    (
        "users.create",
        lambda a: a.users.create({"email": "a@b.mx"}),
        "POST",
        "/users",
        {"email": "a@b.mx"},
    ),
    (
        "users.update",
        lambda a: a.users.update("u1", {"phone": "1"}),
        "PUT",
        "/users/u1",
        {"phone": "1"},
    ),
    (
        "users.reset_password",
        lambda a: a.users.reset_password("a@b.mx"),
        "POST",
        "/users/reset-password",
        {"email": "a@b.mx"},
    ),
    (
        "users.login_link",
        lambda a: a.users.login_link("u1"),
        "POST",
        "/users/login-link",
        {"user_id": "u1"},
    ),
    ("webhooks.list", lambda a: a.webhooks.list("active"), "GET", "/webhooks", None),
    ("webhooks.get", lambda a: a.webhooks.get("wh_1"), "GET", "/webhooks/wh_1", None),
    (
        "webhooks.create",
        lambda a: a.webhooks.create({"url": "https://x"}),
        "POST",
        "/webhooks",
        {"url": "https://x"},
    ),
    (
        "webhooks.update",
        lambda a: a.webhooks.update("wh_1", {"status": "inactive"}),
        "PUT",
        "/webhooks/wh_1",
        {"status": "inactive"},
    ),
    ("webhooks.delete", lambda a: a.webhooks.delete("wh_1"), "DELETE", "/webhooks/wh_1", None),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "body"), [e[1:] for e in ENDPOINTS], ids=[e[0] for e in ENDPOINTS]
)
def test_endpoint_routes(
    server: ScriptedServer,
    api: GigstackClient,
    call: Callable[[GigstackClient], Any],
    method: str,
    path: str,
    body: Any,
) -> None:
    server.handler = lambda req: (
        ok([{"id": "x"}], has_more=False, total_results=1)
        if req.method == "GET" and not req.path.rsplit("/", 1)[-1].startswith(("c1", "s1"))
        else ok({"id": "x"})
    )
    call(api)
    req = server.requests[-1]
    assert (req.method, req.path) == (method, "/v2" + path)
    assert req.json() == body
    assert req.headers["authorization"] == f"Bearer {KEY}"


def test_filters_reach_the_query(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok([], has_more=False))
    api.payments.list("succeeded", "c1", "USD", "a@b.mx", "XAXX010101000", limit=2)
    api.receipts.list(status="pending", client_id="c2")
    api.webhooks.list("inactive")
    api.invoices.files("U1", "xml")
    assert [r.query for r in server.requests] == [
        {
            "status": "succeeded",
            "client_id": "c1",
            "currency": "USD",
            "email": "a@b.mx",
            "tax_id": "XAXX010101000",
            "limit": "2",
        },
        {"status": "pending", "client_id": "c2"},
        {"status": "inactive"},
        {"file_type": "xml"},
    ]


# --- special shapes ---------------------------------------------------------------------------


def test_onboarding_url_as_string_or_object(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok("https://onboard/1"), ok({"url": "https://onboard/2"}), ok(None))
    assert api.teams.onboarding_url("t1") == "https://onboard/1"
    assert api.teams.onboarding_url("t1") == "https://onboard/2"
    with pytest.raises(GigstackError):
        api.teams.onboarding_url("t1")
    assert server.requests[0].path == "/v2/teams/t1/onboarding-url"


def test_series_is_a_list_and_members_a_page(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok([{"id": "ser_1", "created_at": S0}, None], has_more=False))
    series = api.teams.series("t1")
    assert series == [{"id": "ser_1", "created_at": T0}]
    members = api.teams.members("t1")
    assert isinstance(members, Page) and members[0]["id"] == "ser_1"


def test_receipt_and_invoice_normalisation(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(
        ok([{"id": "r1", "created": S0, "validUntil": S0}, {"id": "r2", "created_at": S0 * 1000}]),
        ok({"id": "INV-1", "status": "stamped", "stamp": {"stamp_at": S0}}),
    )
    receipts = api.receipts.list().items
    assert receipts[0]["created"] == receipts[0]["created_at"] == T0
    assert receipts[0]["validUntil"] == T0
    assert receipts[1]["created"] == receipts[1]["created_at"] == T0
    invoice = api.invoices.get("INV-1")
    assert (invoice["uuid"], invoice["status"], invoice["stamp"]["stamp_at"]) == (
        "INV-1",
        "valid",
        T0,
    )


def test_upload_csf_multipart(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok({"id": "client_9"}, 201))
    result = api.clients.upload_csf(io.BytesIO(b"%PDF-1.7 csf"), client_id="client_9")
    assert result == {"id": "client_9"}
    req = server.requests[0]
    assert (req.method, req.path) == ("POST", "/v2" + CSF_UPLOAD_PATH)
    assert req.query == {"client_id": "client_9"}
    assert req.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="csf.pdf"' in req.body
    assert b"%PDF-1.7 csf" in req.body


def test_upload_csd_multipart_parts(server: ScriptedServer, api: GigstackClient) -> None:
    server.sequence(ok({"completed": True, "connected_at": S0, "csd_expires_at": S0}))
    sat = api.teams.upload_csd("t1", b"CER", b"KEY", "pw")
    assert sat["connected_at"] == T0
    req = server.requests[0]
    assert req.path == "/v2/teams/t1/sat-connection"
    for part in (b'name="cert"', b'name="key"', b'name="keyPass"'):
        assert part in req.body


def test_bad_arguments_fail_before_the_network(server: ScriptedServer, api: GigstackClient) -> None:
    for not_an_id in ("", " ", ".", "..", "a b"):
        with pytest.raises(NotFound):
            api.clients.get(not_an_id)  # "." would be /clients/. = /clients, the list
    with pytest.raises(ValueError):
        api.clients.portal_link()
    with pytest.raises(ValueError):
        api.teams.update_series("t1", "ser_1")
    with pytest.raises(TypeError):
        api.clients.list(limt=3)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        GigstackClient("")
    with pytest.raises(ValueError):
        api.for_team("")
    assert server.requests == []


def test_a_path_in_an_id_never_reaches_another_route(
    server: ScriptedServer, api: GigstackClient
) -> None:
    for not_an_id in ("../teams/t1", "a/b", "%2e%2e", "x\x00"):
        with pytest.raises(NotFound):
            api.clients.get(not_an_id)
    server.sequence(ok({"id": "client_Ab-3_x"}))
    api.clients.get("client_Ab-3_x")
    assert [r.path for r in server.requests] == ["/v2/clients/client_Ab-3_x"]
