"""The views' access to the API client (one per process, built in the factory).

Views call :func:`api`: the client bound to the team in the page's URL, so every call
carries ``team`` (gigstack Connect). Only the team directory uses :func:`unscoped_api`.
"""

from __future__ import annotations

from flask import abort, current_app

from webapp.gigstack import GigstackClient
from webapp.gigstack.client import TeamScope
from webapp.shell.scope import selected_team

from .upstream import Upstream


def upstream() -> Upstream:
    return current_app.extensions["gigstack"]


def unscoped_api() -> GigstackClient:
    """The pooled client of this process, acting as the key's own team."""
    return upstream().client


def api() -> TeamScope:
    """The client bound to this request's team (on team pages, the one in the URL, already
    checked); 403 when the staff member may use no team."""
    team = selected_team()
    if team is None:
        abort(403, description="no_team_in_scope")
    return upstream().client.for_team(team.id)
