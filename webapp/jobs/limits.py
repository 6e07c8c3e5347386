"""How hard jobs may press on gigstack: at most K calls in flight per team, at most R calls
started per second in all, and a pause for everyone after gigstack asked to slow down (429).

With one worker process (``make run``) the counts live in the process; with ``REDIS_URL`` they
live in Redis, so every worker of the ``worker:`` process type shares them: two workers on
one team still keep K calls in flight between them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

# a slot held longer than this (a worker killed while holding it) is given back
SLOT_TTL_SECONDS = 120.0
WAIT_STEP_SECONDS = 0.05


class Limits(Protocol):
    def slot(self, team: str) -> Any: ...

    def pace(self) -> None: ...

    def hold(self, seconds: float) -> None: ...


class LocalLimits:
    """The limits of one process (threads of one worker)."""

    def __init__(
        self, per_team: int, rate: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.per_team = max(1, per_team)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(self.per_team)
        )
        self._next = 0.0
        self._hold_until = 0.0

    @contextmanager
    def slot(self, team: str) -> Iterator[None]:
        """One of the team's K calls in flight, for as long as the block runs."""
        with self._lock:
            semaphore = self._slots[team]
        with semaphore:
            yield

    def pace(self) -> None:
        """Wait for this call's turn under the rate (and any pause gigstack asked for)."""
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next, self._hold_until)
            self._next = at + self.interval
        if at > now:
            self._sleep(at - now)

    def hold(self, seconds: float) -> None:
        """No call starts for ``seconds`` (gigstack answered 429 with ``Retry-After``)."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)


# a team's slots: holders expire (a worker killed while holding one), then one more if fewer
# than the limit hold one — atomically, so K are never exceeded
_ACQUIRE = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(ttl * 2))
  return 1
end
return 0
"""

# the next free start time and the pause, both shared; the caller sleeps until its turn
_PACE = """
local now = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(now, nxt, hold)
redis.call('SET', KEYS[1], tostring(at + tonumber(ARGV[2])), 'PX', 60000)
return tostring(at)
"""


class RedisLimits:
    """The limits of every worker together, kept in Redis (slots expire if a holder died)."""

    def __init__(
        self,
        redis: Any,
        per_team: int,
        rate: float,
        prefix: str = "backoffice:jobs:",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.per_team = max(1, per_team)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.prefix = prefix
        self._sleep = sleep
        self._pace = redis.register_script(_PACE)
        self._acquire = redis.register_script(_ACQUIRE)

    @contextmanager
    def slot(self, team: str) -> Iterator[None]:
        """A counting semaphore on a sorted set of holders (token → when taken)."""
        key = f"{self.prefix}slots:{team}"
        token = uuid.uuid4().hex
        args = [SLOT_TTL_SECONDS, self.per_team, token]
        while not self._acquire(keys=[key], args=[repr(time.time()), *args]):
            time.sleep(WAIT_STEP_SECONDS)
        try:
            yield
        finally:
            self.redis.zrem(key, token)

    def pace(self) -> None:
        now = time.time()
        keys = [f"{self.prefix}pace", f"{self.prefix}hold"]
        at = float(self._pace(keys=keys, args=[repr(now), repr(self.interval)]))
        if at > now:
            self._sleep(at - now)

    def hold(self, seconds: float) -> None:
        until = time.time() + seconds
        key = f"{self.prefix}hold"
        current = float(self.redis.get(key) or 0)
        if until > current:
            self.redis.set(key, repr(until), px=int(seconds * 1000) + 1000)


def build_limits(settings: dict[str, Any]) -> Limits:
    """Redis when ``REDIS_URL`` is set (shared by every worker), else this process's own."""
    per_team, rate = settings["JOBS_TEAM_CONCURRENCY"], settings["JOBS_RATE_PER_SECOND"]
    url = settings.get("REDIS_URL")
    if not url:
        return LocalLimits(per_team, rate)
    from webapp.cache import redis_client
    from webapp.config import redis_tls_options

    client = redis_client(url, 5.0, **redis_tls_options(url, settings))
    return RedisLimits(client, per_team, rate, prefix=settings["CACHE_KEY_PREFIX"] + "jobs:")
