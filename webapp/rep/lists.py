"""The REP monitor's three lists: read from gigstack a bounded number of pages at a time, kept
as one copy per team in the app's cache, and served without a stampede.

- under ``FRESH_SECONDS`` old, the copy is served as it is;
- under ``MAX_STALE_SECONDS``, it is served as it is while one refresh runs in the background
  (one per process; with Redis, one across processes too, under a short marker);
- older, missing, or asked anew ("Refresh"), the page waits for a fresh read: one per process,
  which the other requests for the same team wait for instead of reading again.

The copy is decoded at most once per version in each process: every request reads only a
small version key (when the copy was read) and reuses this process's decoded copy while the
version is the same.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from webapp import cache
from webapp.api import api
from webapp.clock import now_seconds
from webapp.gigstack.errors import GigstackError, Timeout
from webapp.observability import time_left, untraced
from webapp.parallel import gather
from webapp.teams.scoped import current_team_id

log = logging.getLogger(__name__)

WALK_PAGES = 20  # 100 a page: a read makes at most 3 × 20 calls (2,000 of each list)
FRESH_SECONDS = 60  # a copy of what gigstack can answer again; "Refresh" asks anew
MAX_STALE_SECONDS = 10 * 60  # older than this, a page waits for a fresh read
MARKER_SECONDS = 60  # a background refresh that dies frees its team after this
DECODED_TEAMS = 16  # decoded copies a process keeps (the most recently used teams)
INVOICE_FIELDS = (
    "uuid",
    "series",
    "folio_number",
    "status",
    "payment_method",
    "created_at",
    "total",
    "currency",
    "last_balance",
    "payment_complements",
)
PAYMENT_FIELDS = (
    "id",
    "status",
    "automation_type",
    "total",
    "currency",
    "created_at",
    "succeeded_at",
)


@dataclass(frozen=True)
class Lists:
    """What the report is built from, and when gigstack was read."""

    ppd: list[dict[str, Any]]
    complements: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    read_at: float


def _slim(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only what the report shows (the cached copy stays small)."""
    client = item.get("client") or {}
    return {
        **{key: item.get(key) for key in fields},
        "client": {key: client.get(key) for key in ("id", "name", "legal_name")},
    }


def read(client: Any, since: int, run: Callable[..., list[Any]]) -> Lists:
    """Upstream calls, each list walked page by page (``WALK_PAGES`` at most): the valid PPD
    income invoices, the valid payment complements and the collected payments created since
    ``since``. ``run`` runs the three walks (at once for a page waiting, one after the other
    in the background)."""
    ppd, complements, payments = run(
        lambda: [
            _slim(i, INVOICE_FIELDS)
            for i in client.invoices.iter(
                "income", status="valid", payment_method="PPD", limit=100, max_pages=WALK_PAGES
            )
        ],
        lambda: [
            {
                "status": c.get("status"),
                "payment_complement": {
                    "payment_id": (c.get("payment_complement") or {}).get("payment_id")
                },
            }
            for c in client.invoices.iter(
                "payment", status="valid", limit=100, max_pages=WALK_PAGES, created_gte=since
            )
        ],
        lambda: [
            _slim(p, PAYMENT_FIELDS)
            for p in client.payments.iter(
                status="succeeded", limit=100, max_pages=WALK_PAGES, created_gte=since
            )
        ],
    )
    return Lists(ppd, complements, payments, now_seconds())


def one_after_another(*calls: Callable[[], Any]) -> list[Any]:
    """The walks of a background refresh, in its own pool thread (which waits on no other)."""
    return [call() for call in calls]


@dataclass
class _Copies:
    """This process's decoded copies by cache key, ``(version, lists)``, the most recent few."""

    size: int
    held: OrderedDict[str, tuple[float, Lists]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str, version: float) -> Lists | None:
        with self.lock:
            copy = self.held.get(key)
            if copy is None or copy[0] != version:
                return None
            self.held.move_to_end(key)
            return copy[1]

    def hold(self, key: str, version: float, lists: Lists) -> None:
        with self.lock:
            self.held[key] = (version, lists)
            self.held.move_to_end(key)
            while len(self.held) > self.size:
                self.held.popitem(last=False)


_decoded = _Copies(DECODED_TEAMS)
_background: Future | None = None


def cache_key(team_id: str) -> str:
    """Where a team's copy is kept (per API key and mode)."""
    info = current_app.extensions["gigstack"].key_info
    mode = "live" if info.is_live else "test"
    return f"rep:{info.key_id or info.team}:{mode}:{team_id}"


def copy_at_hand(key: str) -> Lists | None:
    """The copy at hand (never a call): this process's decoded one while the cache's version
    is the same, else the cache's, decoded once for every request that wants it now."""
    version = cache.get(f"{key}:version")
    if version is None:
        return None
    held = _decoded.get(key, version)
    if held is not None:
        return held

    def decode() -> Lists | None:
        again = _decoded.get(key, version)
        if again is not None:
            return again
        lists = cache.get(key)
        if isinstance(lists, Lists):
            _decoded.hold(key, version, lists)
            return lists
        return None

    return cache.single_flight(f"{key}:decode:{version}", decode, wait=5)


def _keep(key: str, lists: Lists) -> Lists:
    """The new copy for every process (the lists, then their version) and decoded for this."""
    cache.put(key, lists, MAX_STALE_SECONDS)
    cache.put(f"{key}:version", lists.read_at, MAX_STALE_SECONDS)
    _decoded.hold(key, lists.read_at, lists)
    return lists


def current(refresh: bool = False) -> Lists:
    """The lists for this request's team: the copy at hand when it is young enough (a stale
    one refreshed in the background), else a fresh read, waited for (see the module)."""
    key = cache_key(current_team_id())
    client = api()
    since = int(now_seconds() - current_app.config["REP_LOOKBACK_DAYS"] * 86400)
    copy = None if refresh else copy_at_hand(key)
    if copy is not None and now_seconds() - copy.read_at < MAX_STALE_SECONDS:
        if now_seconds() - copy.read_at >= FRESH_SECONDS:
            _refresh_in_background(current_app._get_current_object(), key, client, since)
        return copy

    def fresh_read() -> Lists:
        if not refresh:  # another request may have read it meanwhile
            again = copy_at_hand(key)
            if again is not None and now_seconds() - again.read_at < FRESH_SECONDS:
                return again
        return _keep(key, read(client, since, gather))

    try:
        return cache.single_flight(key, fresh_read, wait=time_left() or 25)
    except cache.FlightTimeout:
        raise Timeout("the REP monitor's lists are taking too long") from None


def _refresh_in_background(app: Flask, key: str, client: Any, since: int) -> None:
    """One refresh of ``key`` at a time in this process, and across processes while its
    marker lives; its calls are no page's."""
    global _background

    def refresh() -> Lists | None:
        with app.app_context():
            marker = f"{key}:refreshing"
            if not cache.claim(marker, MARKER_SECONDS):
                return None  # another process is reading it
            try:
                return _keep(key, read(client, since, one_after_another))
            except GigstackError as exc:  # the copy at hand stays; a later page tries again
                log.warning("REP lists not refreshed: %s (%s)", type(exc).__name__, exc.code)
                return None
            except Exception:  # no page waits for it to say so
                log.exception("REP lists not refreshed")
                return None
            finally:
                cache.forget(marker)

    started = cache.single_flight_in_background(f"{key}:background", lambda: untraced(refresh))
    if started is not None:
        _background = started


def settle(timeout: float = 30) -> None:
    """Wait for the last background refresh of this process (tests; nothing needs it)."""
    if _background is not None:
        _background.exception(timeout=timeout)
