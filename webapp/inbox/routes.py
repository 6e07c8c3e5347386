"""The attention inbox (``/inbox/``) and snoozing one of its rows (``/inbox/snooze``).

No upstream call: the rows come from the search index (:mod:`.items`), the team names from
the list at hand, the freshness from the index's own table (as ``/search/`` shows it).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user

from webapp.actions import confirmation
from webapp.audit.record import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.formatting import MEXICO_CITY
from webapp.i18n import gettext as _
from webapp.pages import form_failed, list_url, navigate, page_number, render_page
from webapp.search.models import SearchEntry
from webapp.search.routes import index_state
from webapp.teams.team_list import team_names, teams_named

from . import items
from .forms import KIND_LABELS, InboxFilterForm, SnoozeForm
from .models import Snooze

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
bp.verbs = ("snooze",)

LONGEST_SNOOZE = timedelta(days=366)
# the index row each kind of inbox row is
ENTRY_KIND = {
    "csd": "team",
    "not_ready": "team",
    "complement": "payment",
    "ppd": "invoice",
    "receipt": "receipt",
    "cancellation": "invoice",
}


def _scope(team_filter: str) -> list[str] | None:
    """The teams to list: those this staff member may see (None: every team), narrowed to
    the ones the filter names (:func:`teams_named`)."""
    scope = current_user.team_ids
    if not team_filter:
        return scope
    named = teams_named(team_filter)
    return named if scope is None else [team for team in named if team in set(scope)]


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Every row that needs a person among the teams this staff member may see, soonest
    deadline first; filtered by kind and team; the snoozed ones with ``snoozed=1``."""
    form = InboxFilterForm(request.args)
    form.validate()
    kinds = [form.kind.data] if form.kind.data in items.KINDS else list(items.KINDS)
    snoozed = request.args.get("snoozed") == "1"
    # one kind comes in pages (every kind: the most urgent of each, on one page)
    one_kind = len(kinds) == 1
    page = page_number(items.PAGES_OF_ONE_KIND) if one_kind else 1
    config = current_app.config
    found = items.inbox(
        _scope(form.team.data or ""),
        kinds,
        utcnow(),
        config["REP_DEADLINE_DAY"],
        config["REP_LOOKBACK_DAYS"],
        snoozed=snoozed,
        page=page,
    )
    more = bool(found.more)
    links = {
        "first": list_url("page") if page > 1 else None,
        "next": list_url("page", str(page + 1))
        if more and one_kind and page < items.PAGES_OF_ONE_KIND
        else None,
    }
    return render_page(
        "inbox/page.html",
        {"inbox-list": "inbox/_list.html"},
        form=form,
        inbox=found,
        snoozed=snoozed,
        labels={kind: str(label) for kind, label in KIND_LABELS.items()},  # once, not per row
        cap=items.CAP_ONE_KIND if one_kind else items.CAP,
        one_kind=one_kind,
        links=links,
        # one kind's last page offered, and more rows past it
        stops_at=items.CAP_ONE_KIND * items.PAGES_OF_ONE_KIND if more and not links["next"] else 0,
        aging_cap=items.AGING_COUNTED_UP_TO,
        **index_state(),
    )


def _row_or_404() -> tuple[str, str, str, SearchEntry]:
    """The row the URL names (``kind``, ``team``, ``object``), in the index and in reach."""
    kind, team, object_id = (request.args.get(name, "") for name in ("kind", "team", "object"))
    if kind not in items.KINDS or not team or not object_id:
        abort(404)
    if current_user.team_ids is not None and team not in current_user.team_ids:
        abort(404)
    entry = db.session.scalar(
        sa.select(SearchEntry).where(
            SearchEntry.team == team,
            SearchEntry.kind == ENTRY_KIND[kind],
            SearchEntry.object_id == object_id,
        )
    )
    if entry is None:
        abort(404)
    return kind, team, object_id, entry


@bp.route("/snooze", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def snooze():
    """Put one row aside until a day (it shows again that day), with a reason kept as typed
    in the snooze and the audit log (``inbox.snooze``)."""
    kind, team, object_id, entry = _row_or_404()
    form = SnoozeForm()
    today = utcnow().astimezone(MEXICO_CITY).date()
    context = {"form": form, "kind": kind, "entry": entry, "labels": KIND_LABELS}
    context["names"] = team_names()
    if not form.is_submitted():
        form.until.data = form.until.data or today + timedelta(days=7)
        return render_page("inbox/snooze.html", "inbox/_snooze_form.html", **context)
    valid = form.validate()
    if valid and not today < form.until.data <= today + LONGEST_SNOOZE:
        form.until.errors = [_("Choose a day after today and within a year.")]
        valid = False
    if not valid:
        return form_failed(
            "inbox/snooze.html",
            "inbox/_snooze_form.html",
            "snooze-form",
            error=_("The row was not snoozed. Check the fields marked below."),
            **context,
        )
    snoozed = db.session.scalar(
        sa.select(Snooze).where(
            Snooze.team == team, Snooze.kind == kind, Snooze.object_id == object_id
        )
    ) or Snooze(team=team, kind=kind, object_id=object_id)
    snoozed.until, snoozed.reason = form.until.data, form.reason.data
    snoozed.staff_id, snoozed.actor = current_user.id, current_user.email
    snoozed.created_at = utcnow()
    db.session.add(snoozed)
    record(
        "inbox.snooze", team=team, object_type=kind, object_id=object_id, reason=form.reason.data
    )
    db.session.commit()
    flash(
        confirmation(
            _("%(name)s snoozed until %(day)s."),
            entry.name or object_id,
            None,
            day=form.until.data.isoformat(),
        ),
        "info",
    )
    return navigate(url_for("inbox.index"))
