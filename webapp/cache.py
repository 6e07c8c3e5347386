"""The app's cache: per-process memory, or one Redis shared by every process (``REDIS_URL``).

Flask-Caching does the storing; this module adds what a back office needs around it: Redis is
pinged when the app is built (an unreachable Redis is a one-line start-up error), and once
running, a Redis failure is a cache miss — the page asks gigstack instead — never a 500.
Caching fails open because it only ever holds copies of what gigstack can answer again.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from webapp.config import ConfigError, redis_tls_options
from webapp.extensions import cache

log = logging.getLogger(__name__)


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
