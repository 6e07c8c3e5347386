"""A circuit breaker so an outage upstream does not pile up slow, doomed requests.

After ``failure_threshold`` consecutive upstream failures (5xx, timeouts, connection errors)
the breaker opens: calls fail at once with :class:`CircuitOpen` for ``cooldown`` seconds, which
keeps dashboard pages fast and gives gigstack room to recover. Then one trial call is let
through (half-open): success closes the breaker, failure opens it again. 4xx answers prove the
API is alive, so they count as successes — except 429: repeated "slow down" answers open it too,
for at least as long as the last ``Retry-After`` asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .errors import CircuitOpen

log = logging.getLogger("webapp.gigstack")

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitBreaker:
    """Thread-safe consecutive-failure breaker with an injectable monotonic clock."""

    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        name: str = "gigstack",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._wait_at_least = 0.0  # the longest Retry-After among the current failures
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (open past its cooldown reads half_open)."""
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.cooldown:
                return HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted so far."""
        return self._failures

    def before_call(self) -> None:
        """Let a call through or raise :class:`CircuitOpen` without touching the network."""
        with self._lock:
            if self._state == CLOSED:
                return
            now = self._clock()
            if self._state == OPEN:
                remaining = self.cooldown - (now - self._opened_at)
                if remaining > 0:
                    raise CircuitOpen(
                        f"gigstack is failing; not calling it for another {remaining:.0f} s",
                        retry_after=remaining,
                    )
                self._state = HALF_OPEN
                self._trial_in_flight = False
            if self._trial_in_flight:
                raise CircuitOpen(
                    "gigstack is failing; a trial call is already checking whether it is back",
                    retry_after=1.0,
                )
            self._trial_in_flight = True

    def record_success(self) -> None:
        """The upstream answered sensibly: reset the count and close."""
        with self._lock:
            if self._state != CLOSED:
                log.info("circuit %s closed", self.name)
            self._state = CLOSED
            self._failures = 0
            self._wait_at_least = 0.0
            self._trial_in_flight = False

    def record_failure(self, retry_after: float | None = None) -> None:
        """An upstream failure: count it, and open when the threshold (or a trial) fails.

        ``retry_after`` (a 429's ``Retry-After``) keeps it open at least that long.
        """
        with self._lock:
            self._failures += 1
            self._trial_in_flight = False
            if retry_after:
                self._wait_at_least = max(self._wait_at_least, retry_after)
            if self._state == HALF_OPEN or self._failures >= self.failure_threshold:
                wait = max(self.cooldown, self._wait_at_least)
                if self._state != OPEN:
                    log.warning(
                        "circuit %s opened after %d failures; cooling down %.0f s",
                        self.name,
                        self._failures,
                        wait,
                    )
                self._state = OPEN
                # the cooldown is measured from _opened_at: push it so that it lasts `wait`
                self._opened_at = self._clock() + (wait - self.cooldown)

    def release(self) -> None:
        """The call ended without telling us anything about upstream health (a local error)."""
        with self._lock:
            self._trial_in_flight = False

    def reset(self) -> None:
        """Forget all failures (e.g. after changing the key or base URL)."""
        with self._lock:
            self._state = CLOSED
            self._failures = 0
            self._trial_in_flight = False
