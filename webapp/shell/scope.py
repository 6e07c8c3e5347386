"""Which team the signed-in staff member acts on (gigstack Connect's ``team`` parameter).

Of the teams the API key reaches (:mod:`webapp.teams.team_list`, listed once and cached),
a staff member limited to some teams only ever sees and uses those. A team page's team comes
from its URL (:func:`enter_team`, called by :mod:`webapp.teams.scoped`) and every API call of
the request carries it (:func:`webapp.api.api`); the session only remembers the last team used,
where ``/`` goes.
"""

from __future__ import annotations

import re

from flask import current_app, g, has_request_context, session
from flask_login import current_user

from webapp.gigstack.errors import Forbidden, NotFound
from webapp.teams.details import team_details
from webapp.teams.team_list import TeamChoice, directory, team_choice

SESSION_KEY = "team"


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
    if not TEAM_ID.fullmatch(team_id or ""):
        raise TeamRefused("team_not_found")
    if not current_user.may_use_team(team_id):
        raise TeamRefused("team_out_of_scope")
    teams = directory().without_waiting() or []
    chosen = next((team for team in teams if team.id == team_id), None)
    if chosen is None:
        try:
            unscoped = current_app.extensions["gigstack"].client  # the key's own team
            chosen = team_choice(team_details(unscoped, team_id))
        except (NotFound, Forbidden):
            raise TeamRefused("team_not_found") from None
    select(chosen)
    return chosen


def select(team: TeamChoice) -> None:
    """``team`` is this request's, and the last one used (the session is written on change)."""
    if session.get(SESSION_KEY) != team.id:
        session[SESSION_KEY] = team.id
    g.selected_team = team
