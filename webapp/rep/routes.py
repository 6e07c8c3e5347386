"""The REP monitor page: a team's open PPD invoices and the payments due their complement,
from the search index (:mod:`webapp.rep.monitor`'s rules; no upstream call). How fresh the
team's copy is, and (admins) the button that reads it again, come from the index's own page
parts (:func:`webapp.search.routes.team_index_state`)."""

from __future__ import annotations

from flask import current_app

from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.pages import render_page
from webapp.teams.scoped import current_team_id, team_blueprint

from . import monitor

bp = team_blueprint("rep", __name__, "/rep")

SHOWN_OPEN = 25  # open PPD invoices listed (oldest first); the rest are counted and linked
DUE_CAP = 25  # payments due listed (soonest deadline first); the rest counted, in the inbox


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """The report from the team's rows in the index: three queries, no upstream call."""
    config, team = current_app.config, current_team_id()
    report = monitor.report(
        team, utcnow(), config["REP_DEADLINE_DAY"], config["REP_LOOKBACK_DAYS"], SHOWN_OPEN, DUE_CAP
    )
    return render_page(
        "rep/page.html",
        {"rep-report": "rep/_report.html"},
        report=report,
        team_id=team,
        deadline_day=config["REP_DEADLINE_DAY"],
        shown_limit=SHOWN_OPEN,
        due_cap=DUE_CAP,
    )
