"""The dashboard's notion of "now", injectable through ``app.config["CLOCK"]`` for tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context


def now_seconds() -> float:
    """Seconds since the epoch: the configured clock if any (tests), else the system clock."""
    clock: Callable[[], float] | None = (
        current_app.config.get("CLOCK") if has_app_context() else None
    )
    return clock() if clock else time.time()


def utcnow() -> datetime:
    """An aware UTC datetime from :func:`now_seconds`."""
    return datetime.fromtimestamp(now_seconds(), UTC)
