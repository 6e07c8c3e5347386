"""When and how long to wait before trying a call again.

Only calls that are safe to repeat are retried (GET, PUT, and POSTs carrying an
``idempotency_key``, REFERENCE §1.12); the waits use exponential backoff with full jitter so
many workers do not hammer a recovering API in lockstep, and never outlast the call's time
budget — a page must finish in well under 25 s.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Statuses worth another try: rate limiting and transient upstream trouble.
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})


def is_retry_safe(method: str, json_body: Any = None) -> bool:
    """True when repeating the request cannot create a second object or action."""
    verb = method.upper()
    if verb in IDEMPOTENT_METHODS:
        return True
    if verb == "POST" and isinstance(json_body, Mapping):
        key = json_body.get("idempotency_key")
        return isinstance(key, str) and key.strip() != ""
    return False


@dataclass
class RetryPolicy:
    """Backoff settings: attempt ``n`` (0-based) waits uniform(0, min(cap, base·2ⁿ)) seconds."""

    max_retries: int = 3
    base_delay: float = 0.25
    max_delay: float = 4.0
    rng: Callable[[], float] = field(default_factory=lambda: random.random)

    def backoff(self, retry_number: int) -> float:
        """Full-jitter delay before retry ``retry_number`` (0 = the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2**retry_number))
        return max(0.0, ceiling * self.rng())

    def delay_for(
        self, retry_number: int, retry_after: float | None, remaining: float
    ) -> float | None:
        """Seconds to sleep before the next try, or None if it must not happen.

        ``retry_after`` (from the server) wins over the computed backoff but only when it fits
        in the ``remaining`` budget; a wait that would not leave time for the call is refused.
        """
        if retry_number >= self.max_retries:
            return None
        delay = retry_after if retry_after is not None else self.backoff(retry_number)
        if delay >= remaining:
            return None
        return delay
