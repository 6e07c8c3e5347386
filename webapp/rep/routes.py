"""The REP monitor page: a shell that loads its report as a lazy panel, and the report, built
from a copy of three lists kept per team (:mod:`webapp.rep.lists`)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

from flask import current_app, request

from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import now_seconds
from webapp.formatting import MEXICO_CITY
from webapp.pages import htmx_target, render_page
from webapp.panels import panel
from webapp.teams.scoped import current_team_id, team_blueprint

from . import lists as rep_lists
from . import monitor

bp = team_blueprint("rep", __name__, "/rep")

SHOWN_OPEN = 25  # open PPD invoices listed (oldest first); the rest are counted and linked
REPORTS_KEPT = 64  # built reports this process keeps, the most recent


class _Reports:
    """Reports already built, by (team, copy read at, day): the same copy of the lists on the
    same day gives the same report, and building it walks every list (~1 ms at scale 40)."""

    def __init__(self) -> None:
        self._built: OrderedDict[tuple, monitor.Report] = OrderedDict()

    def of(self, lists: rep_lists.Lists, today: date, deadline_day: int) -> monitor.Report:
        key = (current_team_id(), lists.read_at, today, deadline_day)
        report = self._built.get(key)
        if report is None:
            report = monitor.build(
                lists.ppd, lists.complements, lists.payments, today, deadline_day
            )
            self._built[key] = report
            while len(self._built) > REPORTS_KEPT:
                self._built.popitem(last=False)
        return report


REPORTS = _Reports()


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """The shell at once; the report (``#rep-report``, htmx on load, or ``?full=1`` without
    JavaScript) from the team's copy of the lists; upstream calls: none while the copy is
    young enough, else one bounded read (see :mod:`webapp.rep.lists`); ``?refresh=1`` asks
    gigstack again."""
    deadline_day = current_app.config["REP_DEADLINE_DAY"]
    if htmx_target() != "rep-report" and not request.args.get("full"):
        return render_page("rep/page.html", {}, report=None, deadline_day=deadline_day)
    lists = panel(lambda: rep_lists.current(refresh=bool(request.args.get("refresh"))))
    if lists.failed:  # the panel says so in place of the report, with a retry
        return render_page(
            "rep/page.html",
            {"rep-report": "rep/_report.html"},
            failed=lists,
            deadline_day=deadline_day,
        )
    today = datetime.fromtimestamp(now_seconds(), MEXICO_CITY).date()
    report = REPORTS.of(lists.value, today, deadline_day)
    return render_page(
        "rep/page.html",
        {"rep-report": "rep/_report.html"},
        report=report,
        deadline_day=deadline_day,
        read_at=lists.value.read_at,
        shown_limit=SHOWN_OPEN,
    )
