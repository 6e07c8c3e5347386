"""Teams: the teams the API key reaches (its own plus Connect sub-teams)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from webapp.api import api
from webapp.pages import render_page

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.get("/")
def index():
    """One page of teams; the cursor and page size live in the URL (back/forward work)."""
    cursor = request.args.get("next") or None
    limit = current_app.config["PAGE_SIZE"]
    page = api().teams.list(limit=limit, next=cursor, order_by="name", sort="asc")
    return render_page("teams/page.html", "teams/_rows.html", page=page, cursor=cursor)

