"""The teams the API key reaches: listed once and reused for ``TEAM_LIST_TTL_SECONDS``.

:class:`TeamDirectory` keeps the list in the app's cache (shared by every process when
``REDIS_URL`` is set) as :class:`TeamChoice` rows, what the team switcher and the team
directory page need of a team. :func:`directory` is the app's one instance; which of these
teams a staff member may use, and which one a request acts on, is
:mod:`webapp.shell.scope`'s business.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_request_context

from webapp import cache
from webapp.clock import now_seconds
from webapp.gigstack.errors import GigstackError, Timeout
from webapp.gigstack.timestamps import to_datetime
from webapp.parallel import submit


@dataclass(frozen=True)
class TeamChoice:
    """What the switcher and the team directory need of a team (kept in the cache)."""

    id: str
    name: str
    legal_name: str
    tax_id: str
    tax_system: str = ""
    zip: str = ""
    csd_completed: bool = False
    csd_expires_at: float | None = None
    default_series: str = ""
    created_at: float | None = None

    def matches(self, query: str) -> bool:
        needle = query.strip().casefold()
        return not needle or any(
            needle in value.casefold()
            for value in (self.name, self.legal_name, self.tax_id, self.id)
        )


def team_choice(team: dict[str, Any]) -> TeamChoice:
    brand = team.get("brand") or {}
    legal_name = team.get("legal_name") or ""
    sat = team.get("sat") or {}
    series = ((team.get("settings") or {}).get("default_series") or {}).get("income") or {}
    return TeamChoice(
        id=team["id"],
        name=brand.get("alias") or legal_name or team["id"],
        legal_name=legal_name,
        tax_id=team.get("tax_id") or "",
        tax_system=team.get("tax_system") or "",
        zip=(team.get("address") or {}).get("zip") or "",
        csd_completed=bool(sat.get("completed")),
        csd_expires_at=_seconds(sat.get("csd_expires_at")),
        default_series=series.get("serie") or "" if isinstance(series, dict) else "",
        created_at=_seconds(team.get("created_at")),
    )


def _seconds(value: Any) -> float | None:
    moment = to_datetime(value) if value not in (None, "") else None
    return moment.timestamp() if moment else None


class _Flight:
    """One fetch of the team list under way; other requests wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.teams: list[TeamChoice] | None = None
        self.error: GigstackError | None = None


class TeamDirectory:
    """The teams the key reaches, fetched from gigstack at most once per TTL.

    Kept in the app's cache (per process, or Redis shared by every process) with the time it
    was fetched; the TTL runs on the app's clock (``CLOCK``), like session expiry, so tests can
    pass it. Concurrent requests that find it stale share one fetch instead of queueing behind
    each other, and a request whose fetch failed does not ask again (its error page included);
    the client's circuit breaker makes later requests fail fast while gigstack is down.
    """

    # a stale copy is still good for names and for pages that need nothing else from gigstack
    STALE_SECONDS = 24 * 60 * 60

    def __init__(self, app: Flask, ttl_seconds: float, wait_seconds: float = 1.5) -> None:
        self._app = app
        self.ttl_seconds = ttl_seconds
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()  # guards _flight, never held over I/O
        self._flight: _Flight | None = None
        self._background: Future | None = None

    def _cache_key(self) -> str:
        info = self._app.extensions["gigstack"].key_info
        return f"teams:{info.key_id or info.team}:{'live' if info.is_live else 'test'}"

    def _copy(self) -> tuple[list[TeamChoice], bool] | None:
        """The copy at hand and whether it is still fresh; None without one. Never calls."""
        entry = cache.get(self._cache_key())
        if not entry:
            return None
        return entry[1], now_seconds() - entry[0] < self.ttl_seconds

    def cached(self, stale_ok: bool = False) -> list[TeamChoice] | None:
        """The list if a fresh (or, with ``stale_ok``, any) copy is at hand; never calls."""
        copy = self._copy()
        return copy[0] if copy and (stale_ok or copy[1]) else None

    def without_waiting(self) -> list[TeamChoice] | None:
        """For pages that need nothing else from gigstack: any copy at hand (refreshed in the
        background when stale); with none, a fetch waited for ``wait_seconds`` at most.

        None when no list can be had that quickly (this request's fetch failed, or gigstack
        is slow); the fetch goes on in the background for the next page.
        """
        copy = self._copy()
        teams = copy[0] if copy else None
        fresh = bool(copy and copy[1])
        in_request = has_request_context()
        if not fresh and not (in_request and ("team_list_error" in g or "team_list_waited" in g)):
            pending = self._background = submit(self._refresh_quietly)
            if teams is None:
                try:
                    teams = pending.result(timeout=self.wait_seconds)
                except FutureTimeout:
                    teams = None
                    if in_request:  # waited once in this request: not again (frame, names…)
                        g.team_list_waited = True
        return teams

    def settle(self, timeout: float = 30) -> None:
        """Wait for the last background refresh (tests; nothing needs it to finish)."""
        if self._background is not None:
            self._background.result(timeout=timeout)

    def _refresh_quietly(self) -> list[TeamChoice] | None:
        try:
            return self._shared_fetch()
        except GigstackError:
            return None  # the next page that needs the list says so

    def all(self) -> list[TeamChoice]:
        """The list, fetched when stale; raises the gigstack error when it cannot be had."""
        teams = self.cached()
        if teams is not None:
            return teams
        if has_request_context() and "team_list_error" in g:
            raise g.team_list_error
        try:
            return self._shared_fetch()
        except GigstackError as exc:
            if has_request_context():
                g.team_list_error = exc
            raise

    def _shared_fetch(self) -> list[TeamChoice]:
        """One fetch at a time per process: later callers wait for the one under way."""
        with self._lock:
            flight, leading = self._flight, self._flight is None
            if leading:
                flight = self._flight = _Flight()
        if not leading:
            budget = self._app.extensions["gigstack"].client.budget_seconds
            if not flight.done.wait(timeout=budget + 1):
                raise Timeout("the list of teams is taking too long")
            if flight.error is not None:
                raise flight.error
            return flight.teams or []
        try:
            # another fetch may have finished between this caller's look and its lead
            fresh = self.cached()
            flight.teams = fresh if fresh is not None else self._fetch()
            return flight.teams
        except GigstackError as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flight = None
            flight.done.set()

    def _fetch(self) -> list[TeamChoice]:
        client = self._app.extensions["gigstack"].client  # unscoped: the key's own team
        listed = client.teams.iter(limit=100, order_by="name", sort="asc")
        teams = [team_choice(team) for team in listed]
        cache.put(
            self._cache_key(), (now_seconds(), teams), max(self.ttl_seconds, self.STALE_SECONDS)
        )
        return teams

    def forget(self) -> None:
        """Drop the list (after the dashboard's own change to a team, or in tests)."""
        with self._app.app_context():
            cache.forget(self._cache_key())


def init_app(app: Flask) -> None:
    app.extensions["team_directory"] = TeamDirectory(app, app.config["TEAM_LIST_TTL_SECONDS"])


def directory() -> TeamDirectory:
    return current_app.extensions["team_directory"]
