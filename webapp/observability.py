"""What each request did, for logs and for ``make bench``: its id, its time, its gigstack calls.

Every request gets an id (``X-Request-ID`` when the router sent a sane one, else a new one). It
is echoed in the response, stamped on every log line of the request, and sent to gigstack on
every call made for it, so one id follows a click from the router to the API. Each response
carries ``Server-Timing`` (wall and CPU time of the app, time and count of upstream calls) and
one JSON access-log line says the same.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, Response, current_app, g, request

log = logging.getLogger("webapp.access")
T = TypeVar("T")

REQUEST_ID_HEADER = "X-Request-ID"
# what we accept from a router: Heroku sends a UUID; anything else gets a fresh id
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


@dataclass
class Trace:
    """One request's id and clocks; shared with the threads that make its parallel calls."""

    request_id: str
    budget_seconds: float = 22.0
    started: float = field(default_factory=time.perf_counter)
    cpu_started: float = field(default_factory=time.thread_time)
    upstream_calls: int = 0
    upstream_seconds: float = 0.0
    upstream_max_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_upstream(self, seconds: float) -> None:
        with self._lock:
            self.upstream_calls += 1
            self.upstream_seconds += seconds
            self.upstream_max_seconds = max(self.upstream_max_seconds, seconds)

    def time_left(self) -> float:
        return self.budget_seconds - (time.perf_counter() - self.started)

    def server_timing(self) -> str:
        wall = (time.perf_counter() - self.started) * 1000
        cpu = (time.thread_time() - self.cpu_started) * 1000
        return (
            f"app;dur={wall:.1f}, cpu;dur={cpu:.1f}, "
            f"upstream;dur={self.upstream_seconds * 1000:.1f}, "
            f"upstream-max;dur={self.upstream_max_seconds * 1000:.1f}, "
            f'upstream-calls;desc="{self.upstream_calls}"'
        )


_current: ContextVar[Trace | None] = ContextVar("backoffice_trace", default=None)


def current_trace() -> Trace | None:
    return _current.get()


def current_request_id() -> str | None:
    trace = _current.get()
    return trace.request_id if trace else None


def upstream_headers() -> dict[str, str]:
    """Headers the gigstack client adds to every call (the request id, when in a request)."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def time_left() -> float | None:
    """Seconds left of the current request's budget for gigstack calls (None outside one):
    however many calls a page makes in a row, it answers before the platform's router cuts
    it off (30 s on Heroku)."""
    trace = _current.get()
    return trace.time_left() if trace is not None else None


def untraced(fn: Callable[[], T]) -> T:
    """``fn()`` outside any request's trace: background work a page starts and does not wait
    for (a refresh of a copy) — its calls are not the page's, nor bound by its budget."""
    token = _current.set(None)
    try:
        return fn()
    finally:
        _current.reset(token)


def record_upstream(seconds: float) -> None:
    """The gigstack client's attempt observer: counts towards the current request."""
    trace = _current.get()
    if trace is not None:
        trace.record_upstream(seconds)


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` on every log record made while a request is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def _begin() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    trace = Trace(
        request_id=given if _SANE_ID.match(given) else uuid.uuid4().hex,
        budget_seconds=current_app.config["PAGE_BUDGET_SECONDS"],
    )
    g.trace_token = _current.set(trace)


def _finish(response: Response) -> Response:
    trace = _current.get()
    if trace is None:
        return response
    response.headers[REQUEST_ID_HEADER] = trace.request_id
    response.headers["Server-Timing"] = trace.server_timing()
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "http_method": request.method,
            "http_path": request.path,
            "http_status": response.status_code,
            "duration_ms": round((time.perf_counter() - trace.started) * 1000, 1),
            "cpu_ms": round((time.thread_time() - trace.cpu_started) * 1000, 1),
            "upstream_calls": trace.upstream_calls,
            "upstream_ms": round(trace.upstream_seconds * 1000, 1),
        },
    )
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("trace_token", None)
    if token is not None:
        _current.reset(token)


def init_app(app: Flask) -> None:
    # first in, last out: the trace covers every other hook and the error handlers
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
    app.teardown_request(_end)
