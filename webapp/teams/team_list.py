"""The teams the API key reaches: listed once and reused for ``TEAM_LIST_TTL_SECONDS``.

:class:`TeamDirectory` keeps the list in the app's cache (shared by every process when
``REDIS_URL`` is set) as :class:`TeamChoice` rows, what the team switcher and the team
directory page need of a team, and each process keeps the one version it decoded as a
:class:`~webapp.teams.team_index.TeamIndex`. :func:`directory` is the app's one instance;
which of these teams a staff member may use, and which one a request acts on, is
:mod:`webapp.shell.scope`'s business.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context

from webapp import cache
from webapp.clock import now_seconds
from webapp.gigstack.errors import GigstackError, Timeout
from webapp.gigstack.timestamps import to_datetime
from webapp.parallel import submit

from .team_index import TeamIndex


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


class TeamDirectory:
    """The teams the key reaches, fetched from gigstack at most once per TTL.

    The cache holds the list with a version, and apart from it a small stamp of that version
    and the time it was fetched: a request reads the stamp (once), and decodes the list only
    when its version is not the one this process already holds — never twice. A refresh that
    finds the same teams keeps the version, so no process decodes it again. The TTL runs on
    the app's clock (``CLOCK``), like session expiry, so tests can pass it.

    A stale copy is served as it is while one refresh per process runs in the background;
    only without any copy does a request wait for the list, sharing one fetch with the others
    that arrive meanwhile. A request whose fetch failed does not ask again (its error page
    included); the client's circuit breaker makes later requests fail fast while gigstack is
    down.
    """

    # a stale copy is still good for names and for pages that need nothing else from gigstack
    STALE_SECONDS = 24 * 60 * 60

    def __init__(self, app: Flask, ttl_seconds: float, wait_seconds: float = 1.5) -> None:
        self._app = app
        self.ttl_seconds = ttl_seconds
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()  # guards _background, never held over I/O
        self._background: Future | None = None
        self._decoded: TeamIndex | None = None  # this process's copy of the latest version

    def _cache_key(self) -> str:
        info = self._app.extensions["gigstack"].key_info
        return f"teams:{info.key_id or info.team}:{'live' if info.is_live else 'test'}"

    def _stamp_key(self) -> str:
        return self._cache_key() + ":stamp"

    def _stored(self) -> tuple[TeamIndex, float] | None:
        """The copy in the cache and when it was fetched; the list is decoded only when its
        version is new to this process."""
        stamp = cache.get(self._stamp_key())
        if not stamp:
            return None
        fetched_at, version = stamp
        decoded = self._decoded
        if decoded is None or decoded.version != version:
            entry = cache.get(self._cache_key())
            if not entry:
                return None
            decoded = self._decoded = TeamIndex(entry[1], entry[0])
        return decoded, fetched_at

    def _fresh(self, fetched_at: float) -> bool:
        return now_seconds() - fetched_at < self.ttl_seconds

    def _at_hand(self) -> TeamIndex | None:
        """The copy at hand, looked up once per request (a background refresh is started
        when it is stale); None without one. Never calls gigstack itself."""
        in_request = has_request_context()
        if in_request and "team_index" in g:
            return g.team_index
        stored = self._stored()
        index = stored[0] if stored else None
        if stored and not self._fresh(stored[1]):
            self._refresh_in_background()
        if in_request:
            g.team_index = index
        return index

    def _keep(self, index: TeamIndex | None) -> TeamIndex | None:
        if index is not None and has_request_context():
            g.team_index = index
        return index

    def index(self) -> TeamIndex:
        """The copy at hand (however old; refreshed in the background), else the list fetched
        now; raises the gigstack error when it cannot be had."""
        index = self._at_hand()
        if index is not None:
            return index
        if has_request_context() and "team_list_error" in g:
            raise g.team_list_error
        try:
            return self._keep(self._shared_fetch())
        except GigstackError as exc:
            if has_request_context():
                g.team_list_error = exc
            raise

    def all(self) -> list[TeamChoice]:
        """Every team the key reaches (see :meth:`index`)."""
        return list(self.index().teams)

    def index_without_waiting(self) -> TeamIndex | None:
        """For pages that need nothing else from gigstack: any copy at hand; with none, a
        fetch waited for ``wait_seconds`` at most.

        None when no list can be had that quickly (this request's fetch failed, or gigstack
        is slow); the fetch goes on in the background for the next page.
        """
        index = self._at_hand()
        if index is not None:
            return index
        in_request = has_request_context()
        if in_request and ("team_list_error" in g or "team_list_waited" in g):
            return None
        pending = self._refresh_in_background()
        try:
            index = pending.result(timeout=self.wait_seconds)
        except FutureTimeout:
            index = None
        if index is None and in_request:  # waited once in this request: not again
            g.team_list_waited = True
        return self._keep(index)

    def _refresh_in_background(self) -> Future:
        """One refresh at a time per process; a request that finds one under way joins it."""
        with self._lock:
            if self._background is None or self._background.done():
                self._background = submit(self._refresh_quietly)
            return self._background

    def warm(self) -> Future:
        """Start fetching the list behind the scenes (a worker that just started): with
        thousands of teams the walk takes seconds, and the first pages find it at hand
        instead of each waiting ``wait_seconds`` for it."""
        return self._refresh_in_background()

    def settle(self, timeout: float = 30) -> None:
        """Wait for the last background refresh (tests; nothing needs it to finish)."""
        if self._background is not None:
            self._background.result(timeout=timeout)

    def _refresh_quietly(self) -> TeamIndex | None:
        if not has_app_context():  # started outside a request (warm)
            with self._app.app_context():
                return self._refresh_quietly()
        try:
            return self._shared_fetch(again=True)
        except GigstackError:
            return None  # the next page that needs the list says so

    def _shared_fetch(self, again: bool = False) -> TeamIndex:
        """One fetch at a time per process (:func:`cache.single_flight`): later callers wait
        for the one under way, its list or its error."""
        budget = self._app.extensions["gigstack"].client.budget_seconds
        try:
            return cache.single_flight(
                f"team-list:{id(self)}", lambda: self._fetch_unless_fresh(again), budget + 1
            )
        except cache.FlightTimeout:
            raise Timeout("the list of teams is taking too long") from None

    def _fetch_unless_fresh(self, again: bool) -> TeamIndex:
        # another process (or fetch) may have refreshed the copy since this caller looked
        stored = self._stored()
        usable = stored is not None and (self._fresh(stored[1]) or not again)
        return stored[0] if stored and usable else self._fetch()

    def _fetch(self) -> TeamIndex:
        client = self._app.extensions["gigstack"].client  # unscoped: the key's own team
        listed = client.teams.iter(limit=100, order_by="name", sort="asc")
        teams = tuple(team_choice(team) for team in listed)
        index = self._decoded
        if index is None or index.teams != teams:  # the same teams keep their version
            index = self._decoded = TeamIndex(teams, uuid.uuid4().hex)
        keep = max(self.ttl_seconds, self.STALE_SECONDS)
        # the list before its stamp: a process that reads the new stamp finds the new list
        cache.put(self._cache_key(), (index.version, teams), keep)
        cache.put(self._stamp_key(), (now_seconds(), index.version), keep)
        return index

    def forget(self) -> None:
        """Drop the list (after the dashboard's own change to a team, or in tests)."""
        with self._app.app_context():
            cache.forget(self._stamp_key())
            cache.forget(self._cache_key())
        if has_request_context():
            g.pop("team_index", None)


def init_app(app: Flask) -> None:
    app.extensions["team_directory"] = TeamDirectory(app, app.config["TEAM_LIST_TTL_SECONDS"])


def directory() -> TeamDirectory:
    return current_app.extensions["team_directory"]


def team_names() -> dict[str, str]:
    """Team id → name for the teams the key reaches, never waiting on gigstack (the back
    office's own rows — audit, jobs, staff — name their teams with it); empty when no list is
    at hand, and the ids are shown alone."""
    index = directory().index_without_waiting()
    return index.names if index is not None else {}


def team_name(team_id: str | None) -> str:
    """A team's name when the list at hand has it, else its id (template global)."""
    return team_names().get(team_id or "", team_id or "")


# teams a team filter may name (a longer name narrows it): a filter's query stays bounded
TEAM_MATCHES = 500


def teams_named(text: str) -> list[str]:
    """The ids a team filter's text names: the text itself as an id (a team the list no
    longer has keeps its rows findable), and unless it is one of the list's ids, the teams
    whose name, RFC or id contain it in the list at hand (at most ``TEAM_MATCHES``)."""
    index = directory().index_without_waiting()
    if index is None or index.get(text):
        return [text]
    found = (index.teams[at].id for at in (index.search(text) or [])[:TEAM_MATCHES])
    return [text, *(team for team in found if team != text)]
