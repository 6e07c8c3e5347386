"""Which team the signed-in staff member acts on (gigstack Connect's ``team`` parameter).

Of the teams the API key reaches (:mod:`webapp.teams.team_list`, listed once and cached),
a staff member limited to some teams only ever sees and uses those. A team page's team comes
from its URL (:func:`enter_team`, called by :mod:`webapp.teams.scoped`) and every API call of
the request carries it (:func:`webapp.api.api`); the session remembers the teams used last
(the newest is where ``/`` goes; the switcher offers them all).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask import current_app, g, has_request_context, session
from flask_login import current_user

from webapp.gigstack.errors import Forbidden, NotFound
from webapp.teams.details import team_details
from webapp.teams.team_index import TeamIndex
from webapp.teams.team_list import TeamChoice, directory, team_choice

SESSION_KEY = "team"
# the teams used last, newest first (the switcher offers them)
RECENT_KEY = "recent_teams"
RECENT = 5


def allowed_in(index: TeamIndex) -> list[int] | None:
    """Positions in ``index`` of the teams the signed-in staff member may use; None: all."""
    if not current_user.is_authenticated:
        return []
    if current_user.team_ids is None:
        return None
    return index.positions(current_user.team_ids)


def allowed_index() -> tuple[TeamIndex, list[int] | None]:
    """The team list (waited for when none is at hand) and the positions this staff member
    may use in it (None: all), worked out once a request."""
    if "allowed_index" not in g:
        index = directory().index()
        g.allowed_index = index, allowed_in(index)
    return g.allowed_index


def allowed_teams() -> Sequence[TeamChoice]:
    """The teams the signed-in staff member may see and act on."""
    if not current_user.is_authenticated:
        return []
    index, positions = allowed_index()
    return index.teams if positions is None else [index.teams[at] for at in positions]


def find_allowed(team_id: str | None) -> TeamChoice | None:
    """The team of ``team_id`` if this staff member may use it and the key reaches it."""
    if not current_user.is_authenticated or not current_user.may_use_team(team_id):
        return None
    return allowed_index()[0].get(team_id)


def selected_team() -> TeamChoice | None:
    """The team of this request: the one in its URL (team pages), else the last team used
    (kept in the session) if still allowed, else the key's own, else the first allowed.

    Computed once per request. None when the staff member may use no team at all.
    """
    if "selected_team" not in g:
        chosen = find_allowed(session.get(SESSION_KEY))
        if chosen is None:
            chosen = find_allowed(current_app.extensions["gigstack"].key_info.team)
        if chosen is None:
            teams = allowed_teams()
            chosen = teams[0] if teams else None
        if chosen is not None:
            select(chosen)
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
    index = directory().index_without_waiting()
    chosen = index.get(team_id) if index is not None else None
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
    recent = session.get(RECENT_KEY) or []
    if recent[:1] != [team.id]:
        session[RECENT_KEY] = [team.id, *(i for i in recent if i != team.id)][:RECENT]
    g.selected_team = team


def recent_team_ids() -> list[str]:
    """The teams used last in this session, newest first (the current one included)."""
    return list(session.get(RECENT_KEY) or [])
