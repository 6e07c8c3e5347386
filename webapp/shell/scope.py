"""Which team the signed-in staff member acts on (gigstack Connect's ``team`` parameter).

The teams the API key reaches are listed once and reused for ``TEAM_LIST_TTL_SECONDS``
(in the app's cache: shared by every process when ``REDIS_URL`` is set);
a staff member limited to some teams only ever sees and uses those. A team page's team comes
from its URL (:func:`enter_team`, called by :mod:`webapp.teams.scoped`) and every API call of
the request carries it (:func:`webapp.api.api`); the session only remembers the last team used,
where ``/`` goes.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_request_context, session
from flask_login import current_user

from webapp import cache
from webapp.clock import now_seconds
from webapp.gigstack.errors import GigstackError, Timeout
from webapp.gigstack.timestamps import to_datetime
from webapp.parallel import submit

SESSION_KEY = "team"


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
        from webapp.api import unscoped_api

        listed = unscoped_api().teams.iter(limit=100, order_by="name", sort="asc")
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


def allowed_teams() -> list[TeamChoice]:
    """The teams the signed-in staff member may see and act on (worked out once a request)."""
    if not current_user.is_authenticated:
        return []
    if "allowed_teams" not in g:
        g.allowed_teams = [team for team in directory().all() if current_user.may_use_team(team.id)]
    return g.allowed_teams


def allowed_teams_at_hand() -> list[TeamChoice] | None:
    """:func:`allowed_teams` without waiting on gigstack (for the frame of every page, error
    pages included): None when no list is at hand."""
    if not current_user.is_authenticated:
        return []
    if "allowed_teams" not in g:
        teams = directory().without_waiting()
        if teams is None:
            return None
        g.allowed_teams = [team for team in teams if current_user.may_use_team(team.id)]
    return g.allowed_teams


def find_allowed(team_id: str | None) -> TeamChoice | None:
    return next((team for team in allowed_teams() if team.id == team_id), None)


def selected_team() -> TeamChoice | None:
    """The team of this request: the one in its URL (team pages), else the last team used
    (kept in the session) if still allowed, else the key's own, else the first allowed.

    Computed once per request. None when the staff member may use no team at all.
    """
    if "selected_team" not in g:
        teams = allowed_teams()
        chosen = next((t for t in teams if t.id == session.get(SESSION_KEY)), None)
        if chosen is None and teams:
            own = current_app.extensions["gigstack"].key_info.team
            chosen = next((t for t in teams if t.id == own), teams[0])
        if chosen is not None and session.get(SESSION_KEY) != chosen.id:
            session[SESSION_KEY] = chosen.id
        g.selected_team = chosen
    return g.selected_team


def selected_team_id() -> str | None:
    """The team of this request without calling gigstack (safe in error paths): the URL's,
    else the last one used; None before any."""
    if "selected_team" in g:
        return g.selected_team.id if g.selected_team else None
    return session.get(SESSION_KEY) if has_request_context() else None


def link_team_id() -> str | None:
    """The team a link to a team page goes to when the page has none: the last one used,
    else the key's own (never calls gigstack)."""
    return selected_team_id() or current_app.extensions["gigstack"].key_info.team


# a team id as gigstack makes them (``team_`` + opaque); anything else cannot name a team
TEAM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TeamRefused(Exception):
    """The URL names a team this staff member may not open (or the key does not reach)."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def enter_team(team_id: str) -> TeamChoice:
    """Make the URL's team the team of this request (and the last one used).

    Allowed when the staff member's limits include it and the key reaches it: found in the
    team list at hand, else confirmed with ``GET /teams/{id}`` (a team made minutes ago by a
    colleague). Raises :class:`TeamRefused` otherwise; other gigstack failures propagate.
    """
    from webapp.api import unscoped_api
    from webapp.gigstack.errors import Forbidden, NotFound
    from webapp.teams.details import team_details

    if not TEAM_ID.fullmatch(team_id or ""):
        raise TeamRefused("team_not_found")
    if not current_user.may_use_team(team_id):
        raise TeamRefused("team_out_of_scope")
    teams = directory().without_waiting() or []
    chosen = next((team for team in teams if team.id == team_id), None)
    if chosen is None:
        try:
            chosen = team_choice(team_details(unscoped_api(), team_id))
        except (NotFound, Forbidden):
            raise TeamRefused("team_not_found") from None
    select(chosen)
    return chosen


def select(team: TeamChoice) -> None:
    """``team`` is this request's, and the last one used (the session is written on change)."""
    if session.get(SESSION_KEY) != team.id:
        session[SESSION_KEY] = team.id
    g.selected_team = team
