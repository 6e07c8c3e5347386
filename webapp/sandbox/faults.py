"""Fault injection for tests and the benchmark: latency, error rate, fixed statuses, hangs.

Applied as WSGI middleware in front of the API and file routes (never the ``/_sandbox``
control routes), configured at start-up (flags / environment) and at run time through the
control endpoint that exists only in test mode.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import CODE_BY_STATUS

MAX_HANG_SECONDS = 120.0


@dataclass
class FaultRule:
    """Answer ``status`` to requests matching ``method`` + ``path`` (glob, without ``/v2``)."""

    status: int
    method: str = "*"
    path: str = "*"
    times: int | None = None  # None: every time; otherwise the next N matches
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class HangRule:
    """Hold matching requests for ``seconds`` before handling them (a stuck upstream)."""

    seconds: float = 30.0
    method: str = "*"
    path: str = "*"
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Faults:
    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    rules: list[FaultRule] = field(default_factory=list)
    hangs: list[HangRule] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Build from JSON (control endpoint / env); raises ValueError on bad input."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {"latency_ms", "jitter_ms", "error_rate", "error_status", "rules", "hangs"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        faults = cls(
            latency_ms=int(data.get("latency_ms", 0)),
            jitter_ms=int(data.get("jitter_ms", 0)),
            error_rate=float(data.get("error_rate", 0.0)),
            error_status=int(data.get("error_status", 503)),
            rules=[FaultRule(**rule) for rule in data.get("rules", [])],
            hangs=[HangRule(**hang) for hang in data.get("hangs", [])],
        )
        if not 0.0 <= faults.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if faults.latency_ms < 0 or faults.jitter_ms < 0:
            raise ValueError("latency must not be negative")
        return faults

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Faults:
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for name, key in (
            ("SANDBOX_LATENCY_MS", "latency_ms"),
            ("SANDBOX_JITTER_MS", "jitter_ms"),
            ("SANDBOX_ERROR_RATE", "error_rate"),
            ("SANDBOX_ERROR_STATUS", "error_status"),
        ):
            if env.get(name):
                data[key] = env[name]
        if env.get("SANDBOX_FAULTS"):
            data.update(json.loads(env["SANDBOX_FAULTS"]))
        return cls.from_dict(data)


class FaultMiddleware:
    """Wraps the sandbox WSGI app and applies the current :class:`Faults`."""

    def __init__(self, app: Any, faults: Faults | None = None, seed: int = 7) -> None:
        self.app = app
        self.faults = faults or Faults()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        # API and file requests answered since start: what a bench reads to state its calls
        # per second to "gigstack" (``GET /_sandbox/requests``)
        self.requests = 0

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults

    def _plan(self, method: str, path: str) -> tuple[float, float, FaultRule | None]:
        """Decide (delay, hang, rule) for one request, consuming ``times`` counters."""
        with self._lock:
            self.requests += 1
            faults = self.faults
            delay = faults.latency_ms / 1000.0
            if faults.jitter_ms:
                delay += self._rng.uniform(0, faults.jitter_ms) / 1000.0
            hang = 0.0
            for rule in faults.hangs:
                if rule.matches(method, path) and (rule.times is None or rule.times > 0):
                    if rule.times is not None:
                        rule.times -= 1
                    hang = min(rule.seconds, MAX_HANG_SECONDS)
                    break
            chosen = None
            for rule in faults.rules:
                if rule.matches(method, path) and (rule.times is None or rule.times > 0):
                    if rule.times is not None:
                        rule.times -= 1
                    chosen = rule
                    break
            if chosen is None and faults.error_rate and self._rng.random() < faults.error_rate:
                chosen = FaultRule(status=faults.error_status)
            return delay, hang, chosen

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not (path.startswith("/v2/") or path == "/v2" or path.startswith("/files/")):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        delay, hang, rule = self._plan(method, path[3:] if path.startswith("/v2") else path)
        if delay:
            time.sleep(delay)
        if hang:
            time.sleep(hang)
        if rule is None:
            return self.app(environ, start_response)
        code = CODE_BY_STATUS.get(rule.status, "internal_server_error")
        body = json.dumps({"message": f"Injected fault ({rule.status})", "error": code}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if rule.retry_after is not None:
            headers.append(("Retry-After", str(rule.retry_after)))
        reason = {
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(rule.status, "Error")
        start_response(f"{rule.status} {reason}", headers)
        return [body]
