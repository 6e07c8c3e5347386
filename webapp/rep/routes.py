"""The REP monitor page."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from webapp.api import api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import now_seconds
from webapp.formatting import MEXICO_CITY
from webapp.pages import render_page
from webapp.parallel import gather
from webapp.teams.scoped import team_blueprint

from . import monitor

bp = team_blueprint("rep", __name__, "/rep")

WALK_PAGES = 20   # 100 a page: the monitor reads at most 2,000 of each list


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls, at once, each walked page by page: the valid PPD income invoices, the
    valid payment complements and the collected payments of the last ``REP_LOOKBACK_DAYS``."""
    client = api()
    now = now_seconds()
    since = int(now - current_app.config["REP_LOOKBACK_DAYS"] * 86400)
    ppd, complements, payments = gather(
        lambda: list(client.invoices.iter("income", status="valid", payment_method="PPD",
                                          limit=100, max_pages=WALK_PAGES)),
        lambda: list(client.invoices.iter("payment", status="valid", limit=100,
                                          max_pages=WALK_PAGES, created_gte=since)),
        lambda: list(client.payments.iter(status="succeeded", limit=100, max_pages=WALK_PAGES,
                                          created_gte=since)))
    today = datetime.fromtimestamp(now, MEXICO_CITY).date()
    report = monitor.build(ppd, complements, payments, today,
                           current_app.config["REP_DEADLINE_DAY"])
    return render_page("rep/page.html", "rep/_report.html", report=report, today=today,
                       deadline_day=current_app.config["REP_DEADLINE_DAY"])
