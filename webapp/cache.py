"""The app's cache: per-process memory, or one Redis shared by every process (``REDIS_URL``).

Flask-Caching does the storing; this module adds what a back office needs around it: Redis is
pinged when the app is built (an unreachable Redis is a one-line start-up error), and once
running, a Redis failure is a cache miss — the page asks gigstack instead — never a 500.
Caching fails open because it only ever holds copies of what gigstack can answer again.
When a copy expires, :func:`single_flight` makes the requests that miss it share one read
instead of each asking gigstack again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask

from webapp.config import ConfigError, redis_tls_options
from webapp.extensions import cache
from webapp.parallel import submit

log = logging.getLogger(__name__)
T = TypeVar("T")


def redis_client(url: str, timeout: float, **options: Any) -> Any:
    """A redis-py client that gives up after ``timeout`` seconds instead of hanging a page."""
    import redis

    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        **options,
    )


def redis_where(url: str) -> str:
    """host:port of a Redis URL, without its password (for messages)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def ping(url: str, timeout: float, **options: Any) -> None:
    """Raise :class:`ConfigError` naming ``REDIS_URL`` when Redis does not answer."""
    import redis

    try:
        redis_client(url, timeout, **options).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise ConfigError(
            f"REDIS_URL: Redis at {redis_where(url)} does not answer ({type(exc).__name__})"
        ) from None


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        timeout = app.config["REDIS_SOCKET_TIMEOUT_SECONDS"]
        options = redis_tls_options(url, app.config)
        ping(url, timeout, **options)
        app.config["CACHE_REDIS_HOST"] = redis_client(url, timeout, **options)
    cache.init_app(app)


def get(key: str) -> Any:
    """The cached value, or None when absent or when the cache cannot be read."""
    try:
        return cache.get(key)
    except Exception as exc:  # redis-py's errors; a copy we cannot read is a miss
        log.warning("cache read failed, treated as a miss: %s", type(exc).__name__)
        return None


def put(key: str, value: Any, timeout: float) -> None:
    """Store ``value`` for ``timeout`` seconds; a failure to store is logged and forgotten."""
    try:
        cache.set(key, value, timeout=max(1, int(timeout)))
    except Exception as exc:
        log.warning("cache write failed, not cached: %s", type(exc).__name__)


def get_many(*keys: str) -> list[Any]:
    """The cached values of ``keys`` in one read (one Redis round trip); None for each one
    absent, and for all when the cache cannot be read."""
    try:
        return list(cache.get_many(*keys))
    except Exception as exc:
        log.warning("cache read failed, treated as a miss: %s", type(exc).__name__)
        return [None] * len(keys)


def claim(key: str, timeout: float) -> bool:
    """Put a marker under ``key`` for ``timeout`` seconds unless one is there (atomic, in
    Redis across processes too): True when this caller got it. A cache that fails answers
    True: the work it guards is done twice at worst, never not at all."""
    try:
        return bool(cache.add(key, 1, timeout=max(1, int(timeout))))
    except Exception as exc:
        log.warning("cache add failed, going ahead: %s", type(exc).__name__)
        return True


def forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception as exc:
        log.warning("cache delete failed: %s", type(exc).__name__)


def remember(key: str, timeout: float, produce: Any) -> Any:
    """The cached value of ``key``, or ``produce()`` stored for ``timeout`` seconds.

    For reads of gigstack that are safe to reuse briefly; the dashboard's own writes call
    :func:`forget` on the same key. A None result is not cached.
    """
    value = get(key)
    if value is None:
        value = produce()
        if value is not None:
            put(key, value, timeout)
    return value


class FlightTimeout(TimeoutError):
    """The call under way for the same key did not finish in the time a caller could wait."""


class _Flight:
    """One call under way for a key; the callers that come meanwhile wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def outcome(self, wait: float) -> Any:
        if not self.done.wait(timeout=max(0.0, wait)):
            raise FlightTimeout("the same call, under way for another request, is still running")
        if self.error is not None:
            raise self.error
        return self.value


_flights: dict[str, _Flight] = {}
_flights_lock = threading.Lock()  # guards _flights, never held over a call


def _board(key: str) -> tuple[_Flight, bool]:
    """The flight under way for ``key`` (False), or a new one this caller leads (True)."""
    with _flights_lock:
        flight = _flights.get(key)
        if flight is not None:
            return flight, False
        flight = _flights[key] = _Flight()
        return flight, True


def _fly(key: str, flight: _Flight, produce: Callable[[], T]) -> T:
    try:
        flight.value = produce()
        return flight.value
    except BaseException as exc:
        flight.error = exc
        raise
    finally:
        _land(key, flight)


def _land(key: str, flight: _Flight) -> None:
    with _flights_lock:
        if _flights.get(key) is flight:
            del _flights[key]
    flight.done.set()


def single_flight(key: str, produce: Callable[[], T], wait: float) -> T:
    """``produce()``, run at most once at a time per ``key`` in this process.

    A caller that comes while it runs does not run it again (no stampede of the same
    calls when a copy expires): it waits up to ``wait`` seconds for that run's value or
    error, else raises :class:`FlightTimeout`.
    """
    flight, leading = _board(key)
    if leading:
        return _fly(key, flight, produce)
    return flight.outcome(wait)


def single_flight_in_background(key: str, produce: Callable[[], Any]) -> Future | None:
    """Start ``produce()`` on the shared pool (:func:`webapp.parallel.submit`) unless a run
    for ``key`` is under way in this process; its future, or None when one was."""
    flight, leading = _board(key)
    if not leading:
        return None
    try:
        return submit(_fly, key, flight, produce)
    except RuntimeError:  # the pool is shutting down: nothing runs, the key is free again
        _land(key, flight)
        raise
