"""gigstack's limits for jobs: at most K calls in flight per team, calls started at the global
rate, and a hold for everyone after a 429 — per process, or in Redis for every worker."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.support import stores
from webapp.jobs.limits import LocalLimits, RedisLimits


class Waits:
    """A sleep that records what it was asked to wait, without waiting."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@pytest.fixture(params=["process", "redis"])
def make_limits(request):
    def make(per_team: int, rate: float, sleep=None):
        if request.param == "process":
            return LocalLimits(per_team, rate, **({"sleep": sleep} if sleep else {}))
        import redis

        client = redis.Redis.from_url(stores.redis_url())
        request.addfinalizer(client.close)
        # keys of this test alone: a job thread an earlier test left running on this worker's
        # database still paces on the app's prefix after the database was emptied
        prefix = f"test:{uuid.uuid4().hex}:"
        sleeps = {"sleep": sleep} if sleep else {}
        return RedisLimits(client, per_team, rate, prefix=prefix, **sleeps)

    return make


def test_a_team_never_has_more_than_k_calls_in_flight(make_limits):
    limits = make_limits(3, 0)
    inside, most, lock = 0, 0, threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def call(team: str) -> None:
        nonlocal inside, most
        with limits.slot(team):
            with lock:
                inside += 1
                most = max(most, inside)
            entered.release()
            release.wait(10)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=call, args=("team_a",)) for _ in range(6)]
    other = threading.Thread(target=call, args=("team_b",))
    for thread in [*threads, other]:
        thread.start()
    for _ in range(4):  # three of team_a and the one of team_b get in
        assert entered.acquire(timeout=10)
    assert not entered.acquire(timeout=0.3), "a fourth call of team_a got in"
    release.set()
    for thread in [*threads, other]:
        thread.join(10)
    assert most == 4  # 3 of team_a + 1 of team_b at most


def test_calls_start_at_the_rate_and_a_429_holds_everyone(make_limits):
    # one call a second, so the real time the calls themselves take (a loaded CI machine's Redis
    # round trips) stays small beside the waits asked for, which are recorded, not slept
    waits = Waits()
    limits = make_limits(4, 1.0, waits)
    for _ in range(5):
        limits.pace()
    # five calls at 1/s: the fifth starts ~4 s after the first
    assert waits.asked and 3.5 < max(waits.asked) <= 4.01
    waits.asked.clear()
    limits.hold(10.0)  # beyond the next free start (~5 s): the hold is what decides
    limits.pace()
    assert waits.asked and 9.5 < waits.asked[-1] <= 10.01
