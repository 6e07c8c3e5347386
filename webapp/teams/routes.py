"""Teams: the teams the API key reaches (its own plus Connect sub-teams)."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user

from webapp.api import unscoped_api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.pages import render_page

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """One page of teams; the cursor and page size live in the URL (back/forward work).

    Staff limited to some teams see only those rows.
    """
    cursor = request.args.get("next") or None
    limit = current_app.config["PAGE_SIZE"]
    page = unscoped_api().teams.list(limit=limit, next=cursor, order_by="name", sort="asc")
    teams = [team for team in page if current_user.may_use_team(team.get("id"))]
    return render_page("teams/page.html", "teams/_rows.html", page=page, teams=teams,
                       cursor=cursor)

