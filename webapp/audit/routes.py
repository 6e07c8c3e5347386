"""The audit log page and its CSV export. Admins see everyone's entries, others their own."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.access import requires
from webapp.auth.models import Staff
from webapp.auth.roles import Role
from webapp.extensions import db
from webapp.formatting import MEXICO_CITY
from webapp.forms import parse_id
from webapp.pages import render_page
from webapp.shell.scope import directory

from .forms import AuditFilterForm
from .models import AuditEntry
from .query import AuditFilters

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
CSV_COLUMNS = ("id", "at", "actor", "team", "action", "object_type", "object_id", "outcome",
               "reason", "remote_addr")
# a cell starting with one of these is text, not a formula, when the CSV opens in a spreadsheet
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def team_names() -> dict[str, str]:
    """Team id → name for the teams the key reaches, never waiting on gigstack (the audit log
    is the back office's own data); ids alone when no list is at hand."""
    return {team.id: team.name for team in directory().without_waiting() or []}


def _filters_from_request() -> tuple[AuditFilterForm, AuditFilters]:
    form = AuditFilterForm(request.args)
    form.staff.choices = [("", _("Everyone"))] + [
        (str(s.id), f"{s.name} <{s.email}>")
        for s in db.session.scalars(sa.select(Staff).order_by(Staff.name))]
    # others choose among their own entries' teams and actions (never what others did)
    mine = sa.true() if current_user.is_admin else AuditEntry.staff_id == current_user.id
    teams = db.session.scalars(sa.select(AuditEntry.team).where(AuditEntry.team.is_not(None), mine)
                               .distinct().order_by(AuditEntry.team)).all()
    names = team_names()
    form.team.choices = [("", _("All teams"))] + [(t, names.get(t, t)) for t in teams]
    actions = db.session.scalars(sa.select(AuditEntry.action).where(mine).distinct()
                                 .order_by(AuditEntry.action)).all()
    form.action.choices = [("", _("All actions"))] + [(a, a) for a in actions]
    form.validate()  # a bad value is reported next to its field and ignored; the rest apply

    def accepted(field):
        return None if field.errors else (field.data or None)

    filters = AuditFilters(
        staff_id=parse_id(accepted(form.staff)), team=accepted(form.team),
        action=accepted(form.action), date_from=accepted(form.date_from),
        date_to=accepted(form.date_to))
    if not current_user.is_admin:
        filters.staff_id = current_user.id  # others see only their own entries
    return form, filters


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Newest first, 50 a page; ``before`` (an entry id) is the cursor, kept in the URL."""
    form, filters = _filters_from_request()
    query = filters.statement()
    before = parse_id(request.args.get("before"))
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    next_args = {**args, "before": rows[-1].id} if has_more and rows else None
    return render_page("audit/page.html", "audit/_rows.html", form=form, rows=rows,
                       next_args=next_args, filter_args=args, first_page=not before,
                       team_names=team_names())


@bp.get("/export.csv")
@requires(Role.VIEWER)
def export_csv():
    """The filtered rows as CSV (UTF-8 with BOM so spreadsheets read accents right)."""
    _form, filters = _filters_from_request()
    rows = db.session.scalars(filters.statement().limit(EXPORT_LIMIT))
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in rows:
        writer.writerow([_cell(entry, column) for column in CSV_COLUMNS])
    stamp = datetime.now(MEXICO_CITY).strftime("%Y%m%d-%H%M")
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})


def _cell(entry: AuditEntry, column: str) -> str:
    value = getattr(entry, column)
    if column == "at":
        return value.astimezone(MEXICO_CITY).isoformat(timespec="seconds") if value else ""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
