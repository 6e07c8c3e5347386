"""The audit log page and its CSV export. Admins see everyone's entries, others their own."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, request
from flask_babel import force_locale, get_locale
from flask_login import current_user

from webapp.auth.access import requires
from webapp.auth.models import Staff
from webapp.auth.roles import Role
from webapp.exports import csv_response
from webapp.extensions import db
from webapp.forms import parse_id
from webapp.i18n import gettext as _
from webapp.pages import list_url, render_page
from webapp.teams.team_list import team_names, teams_named

from .actions import ACTIONS
from .details import entry_reason
from .forms import AuditFilterForm
from .models import AuditEntry
from .query import AuditFilters

bp = Blueprint("audit", __name__, url_prefix="/audit")
bp.verbs = ("export_csv",)

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
EXPORT_CHUNK = 1_000
CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "team",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "remote_addr",
)


# the staff filter's choices: three columns as plain rows (no entity per staff member), the
# statement built once
STAFF_CHOICES = sa.select(Staff.id, Staff.name, Staff.email).order_by(Staff.name)


def _filters_from_request() -> tuple[AuditFilterForm, AuditFilters]:
    form = AuditFilterForm(request.args)
    form.staff.choices = [("", _("Everyone"))] + [
        (str(staff_id), f"{name} <{email}>")
        for staff_id, name, email in db.session.execute(STAFF_CHOICES)
    ]
    # the declared actions (not a scan of the whole log for the ones it holds, which grows
    # with it); the team is typed and matched against the list at hand
    form.action.choices = [("", _("All actions"))] + [(a, a) for a in sorted(ACTIONS)]
    form.validate()  # a bad value is reported next to its field and ignored; the rest apply

    def accepted(field):
        return None if field.errors else (field.data or None)

    team = accepted(form.team)
    filters = AuditFilters(
        staff_id=parse_id(accepted(form.staff)),
        teams=teams_named(team) if team else None,
        action=accepted(form.action),
        date_from=accepted(form.date_from),
        date_to=accepted(form.date_to),
    )
    if not current_user.is_admin:
        filters.staff_id = current_user.id  # others see only their own entries
    return form, filters


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Newest first, 50 a page; ``before`` (an entry id) is the cursor, kept in the URL."""
    form, filters = _filters_from_request()
    before = parse_id(request.args.get("before"))
    query, values = filters.statement(after_cursor=before is not None)
    rows = db.session.scalars(query, {**values, "before": before, "limit": PAGE_SIZE + 1}).all()
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    links = {
        "first": list_url("before") if before else None,
        "next": list_url("before", str(rows[-1].id)) if has_more and rows else None,
    }
    filter_args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_page(
        "audit/page.html",
        "audit/_rows.html",
        form=form,
        rows=rows,
        links=links,
        filter_args=filter_args,
        team_names=team_names(),
    )


@bp.get("/export.csv")
@requires(Role.VIEWER)
def export_csv():
    """The filtered rows as CSV, read and written a chunk at a time (``EXPORT_LIMIT`` at most)."""
    _form, filters = _filters_from_request()
    return csv_response("audit", CSV_COLUMNS, _export_rows(filters, str(get_locale())))


def _exported(entry: AuditEntry, column: str):
    """A cell as the page shows it: the reason is the detail in the reader's language and
    what was typed."""
    return entry_reason(entry) if column == "reason" else getattr(entry, column)


def _export_rows(filters: AuditFilters, locale: str):
    """Newest first in chunks of ``EXPORT_CHUNK`` by id (keyset): memory stays flat, and each
    chunk is its own query, so nothing holds a cursor open while the download is written."""
    before, sent = None, 0
    while sent < EXPORT_LIMIT:
        query, values = filters.statement(after_cursor=before is not None)
        values |= {"before": before, "limit": min(EXPORT_CHUNK, EXPORT_LIMIT - sent)}
        chunk = db.session.scalars(query, values).all()
        # each chunk is written after the request's context is gone: in the reader's language
        with force_locale(locale):
            written = [[_exported(entry, column) for column in CSV_COLUMNS] for entry in chunk]
        yield from written
        db.session.expunge_all()
        if len(chunk) < EXPORT_CHUNK:
            return
        before, sent = chunk[-1].id, sent + len(chunk)
