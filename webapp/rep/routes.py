"""The REP monitor page: a shell that loads its report as a lazy panel, and the report,
reused for a minute per team (it walks three lists, page by page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, request

from webapp import cache
from webapp.api import api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import now_seconds
from webapp.formatting import MEXICO_CITY
from webapp.pages import htmx_target, render_page
from webapp.parallel import gather
from webapp.teams.scoped import current_team_id, team_blueprint

from . import monitor

bp = team_blueprint("rep", __name__, "/rep")

WALK_PAGES = 20  # 100 a page: the monitor reads at most 2,000 of each list
TTL_SECONDS = 60  # a copy of what gigstack can answer again; "Refresh" asks anew
SHOWN_OPEN = 50  # open PPD invoices listed (oldest first); the rest are counted
INVOICE_FIELDS = (
    "uuid",
    "series",
    "folio_number",
    "status",
    "payment_method",
    "created_at",
    "total",
    "currency",
    "last_balance",
    "payment_complements",
)
PAYMENT_FIELDS = (
    "id",
    "status",
    "automation_type",
    "total",
    "currency",
    "created_at",
    "succeeded_at",
)


def _slim(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only what the report shows (the cached copy stays small)."""
    client = item.get("client") or {}
    return {
        **{key: item.get(key) for key in fields},
        "client": {key: client.get(key) for key in ("id", "name", "legal_name")},
    }


def _lists() -> dict[str, list[dict[str, Any]]]:
    """Upstream calls, at once, each walked page by page: the valid PPD income invoices, the
    valid payment complements and the collected payments of the last ``REP_LOOKBACK_DAYS``."""
    client = api()
    since = int(now_seconds() - current_app.config["REP_LOOKBACK_DAYS"] * 86400)
    ppd, complements, payments = gather(
        lambda: [
            _slim(i, INVOICE_FIELDS)
            for i in client.invoices.iter(
                "income", status="valid", payment_method="PPD", limit=100, max_pages=WALK_PAGES
            )
        ],
        lambda: [
            {
                "status": c.get("status"),
                "payment_complement": {
                    "payment_id": (c.get("payment_complement") or {}).get("payment_id")
                },
            }
            for c in client.invoices.iter(
                "payment", status="valid", limit=100, max_pages=WALK_PAGES, created_gte=since
            )
        ],
        lambda: [
            _slim(p, PAYMENT_FIELDS)
            for p in client.payments.iter(
                status="succeeded", limit=100, max_pages=WALK_PAGES, created_gte=since
            )
        ],
    )
    return {"ppd": ppd, "complements": complements, "payments": payments, "read_at": now_seconds()}


def _cache_key() -> str:
    info = current_app.extensions["gigstack"].key_info
    return f"rep:{info.key_id or info.team}:{current_team_id()}"


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """The shell at once; the report (``#rep-report``, htmx on load, or ``?full=1`` without
    JavaScript) from a copy under a minute old, else three walks (see :func:`_lists`);
    ``?refresh=1`` asks gigstack again."""
    deadline_day = current_app.config["REP_DEADLINE_DAY"]
    if htmx_target() != "rep-report" and not request.args.get("full"):
        return render_page("rep/page.html", {}, report=None, deadline_day=deadline_day)
    if request.args.get("refresh"):
        cache.forget(_cache_key())
    lists = cache.remember(_cache_key(), TTL_SECONDS, _lists)
    today = datetime.fromtimestamp(now_seconds(), MEXICO_CITY).date()
    report = monitor.build(
        lists["ppd"], lists["complements"], lists["payments"], today, deadline_day
    )
    return render_page(
        "rep/page.html",
        {"rep-report": "rep/_report.html"},
        report=report,
        deadline_day=deadline_day,
        read_at=lists["read_at"],
        shown_limit=SHOWN_OPEN,
    )
