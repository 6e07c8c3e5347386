"""Which team the signed-in staff member acts on (gigstack Connect's ``team`` parameter).

The teams the API key reaches are listed once and reused for ``TEAM_LIST_TTL_SECONDS``;
a staff member limited to some teams only ever sees and uses those. The selection lives in
the session (``team``) and every API call of the request carries it (:func:`webapp.api.api`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app, g, session
from flask_login import current_user

from webapp.clock import now_seconds

SESSION_KEY = "team"


@dataclass(frozen=True)
class TeamChoice:
    """What the switcher needs of a team."""

    id: str
    name: str
    legal_name: str
    tax_id: str

    def matches(self, query: str) -> bool:
        needle = query.strip().casefold()
        return not needle or any(needle in value.casefold()
                                 for value in (self.name, self.legal_name, self.tax_id, self.id))


def team_choice(team: dict[str, Any]) -> TeamChoice:
    brand = team.get("brand") or {}
    legal_name = team.get("legal_name") or ""
    return TeamChoice(id=team["id"], name=brand.get("alias") or legal_name or team["id"],
                      legal_name=legal_name, tax_id=team.get("tax_id") or "")


class TeamDirectory:
    """The teams the key reaches, fetched from gigstack at most once per TTL per process.

    The TTL runs on the app's clock (``CLOCK``), like session expiry, so tests can pass it.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self._cache: TTLCache = TTLCache(maxsize=1, ttl=ttl_seconds, timer=now_seconds)
        self._lock = threading.Lock()

    def all(self) -> list[TeamChoice]:
        with self._lock:
            teams = self._cache.get("teams")
            if teams is None:
                from webapp.api import unscoped_api

                listed = unscoped_api().teams.iter(limit=100, order_by="name", sort="asc")
                teams = self._cache["teams"] = [team_choice(team) for team in listed]
            return teams

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def init_app(app: Flask) -> None:
    app.extensions["team_directory"] = TeamDirectory(app.config["TEAM_LIST_TTL_SECONDS"])


def directory() -> TeamDirectory:
    return current_app.extensions["team_directory"]


def allowed_teams() -> list[TeamChoice]:
    """The teams the signed-in staff member may see and act on (worked out once a request)."""
    if not current_user.is_authenticated:
        return []
    if "allowed_teams" not in g:
        g.allowed_teams = [team for team in directory().all()
                           if current_user.may_use_team(team.id)]
    return g.allowed_teams


def find_allowed(team_id: str | None) -> TeamChoice | None:
    return next((team for team in allowed_teams() if team.id == team_id), None)


def selected_team() -> TeamChoice | None:
    """The team of this request: the session's choice if still allowed, else the first allowed.

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
    """The team the session acts on, as stored (no call to gigstack: safe in error paths)."""
    if "selected_team" in g:
        return g.selected_team.id if g.selected_team else None
    return session.get(SESSION_KEY)


def select(team: TeamChoice) -> None:
    session[SESSION_KEY] = team.id
    g.selected_team = team
