"""Invoice series of a team: list with next folios, create, edit counters.

Counters hold the **last folio issued** per mode (REFERENCE §7.11), so the next folio is the
value + 1. Lowering a counter risks reusing folios: it asks for a reason and the audit keeps
the old and new values; gigstack refuses a value below a folio already issued, shown on the
field.
"""

from __future__ import annotations

from flask import request, url_for

from webapp import once
from webapp.actions import Screen, confirmation, one_or_404, perform
from webapp.api import api
from webapp.audit import Detail, enum
from webapp.audit.details import COUNTER_MOVED, SERIES_CREATED, SERIES_MOVED
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.pages import apply_api_errors, navigate, render_page

from .forms import SeriesEditForm, SeriesForm
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("series", __name__, "/series")
bp.object = "series"  # its audit actions are series.*, not serie.*

NEW = Screen("teams/series/new.html", "teams/series/_form.html", "series-form")
EDIT = Screen("teams/series/edit.html", "teams/series/_edit_form.html", "series-form")
EDIT_FRAGMENTS = {"series-preview": "teams/series/_preview.html", "series-form": EDIT.fragment}
MODES = ("live", "test")


def next_folio(series: dict, mode: str) -> str:
    """``A-13`` for a series A whose ``mode`` counter is 12."""
    return f"{series.get('series', '')}-{int(series.get(mode) or 0) + 1}"


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /teams/{id}/series`` (all in one page)."""
    rows = api().teams.series(current_team_id())
    return render_page(
        "teams/series/page.html",
        "teams/series/_rows.html",
        rows=rows,
        next_folio=next_folio,
        live=api().key_info.is_live,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /teams/{id}/series``; a name taken is said on the field."""
    form = SeriesForm()
    if not form.is_submitted():
        form.once.data = once.issue()
        return NEW.show(form=form)
    return perform(
        form,
        lambda: api().teams.create_series(
            current_team_id(), form.series.data, form.live.data, form.test.data
        ),
        screen=NEW,
        audit="series.create",
        object_id=lambda created: created.get("id"),
        failed_id=form.series.data,
        detail=lambda created: Detail(
            SERIES_CREATED,
            series=created.get("series"),
            live=created.get("live"),
            test=created.get("test"),
        ),
        refusals=(ValidationError, Conflict),
        refused=_name_taken,
        message=lambda created: confirmation(
            _("Series %(name)s created."),
            created.get("series") or form.series.data,
            url_for("series.edit", series_id=created["id"]) if created.get("id") else None,
        ),
        then=url_for("series.index"),
    )


def _name_taken(form: SeriesForm, error: GigstackError) -> list[str]:
    if isinstance(error, Conflict):
        form.series.errors.append(_("A series with this name already exists."))
        return []
    return apply_api_errors(form, error)


@bp.route("/<series_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(series_id: str):
    """Move the counters; a preview shows the next folio as you type.

    Upstream calls: ``GET /teams/{id}/series``; on save ``PUT /teams/{id}/series/{sid}``.
    """
    series = one_or_404(api().teams.series(current_team_id()), series_id)
    form = _edit_form(series)
    context = {"series": series, "next_folio": next_folio, "preview": _preview(series, form)}
    if request.method == "GET":
        return EDIT.show(EDIT_FRAGMENTS, form=form, **context)
    changes = {
        mode: getattr(form, mode).data
        for mode in MODES
        if getattr(form, mode).data is not None and getattr(form, mode).data != series.get(mode)
    }
    form.lowered = any(value < int(series.get(mode) or 0) for mode, value in changes.items())
    if not form.validate():
        return EDIT.failed(form=form, **context)
    if not changes:
        return navigate(url_for("series.index"))
    return perform(
        form,
        lambda: api().teams.update_series(current_team_id(), series_id, **changes),
        screen=EDIT,
        context=context,
        validate=False,
        audit="series.update",
        object_id=series_id,
        detail=_moves(series, changes),
        message=confirmation(
            _("Counters of series %(name)s saved."),
            series.get("series") or series_id,
            url_for("series.edit", series_id=series_id),
        ),
        then=url_for("series.index"),
    )


def _edit_form(series: dict) -> SeriesEditForm:
    """The counters as saved, as posted, or — for the preview — as typed so far."""
    if request.method == "GET" and request.args:
        form = SeriesEditForm(request.args, meta={"csrf": False})
        form.validate()
        return form
    return SeriesEditForm(data={mode: series.get(mode) for mode in MODES})


def _moves(series: dict, changes: dict[str, int]) -> Detail:
    """``test: 12 → 0`` for the audit row (the reason typed follows it, as typed)."""
    return Detail(
        SERIES_MOVED,
        moves=[
            Detail(
                COUNTER_MOVED, mode=enum("series_mode", mode), before=series.get(mode), after=value
            )
            for mode, value in changes.items()
        ],
    )


def _preview(series: dict, form: SeriesEditForm) -> dict[str, str]:
    """The next folio per mode with the counters typed so far (the current ones if invalid)."""
    shown = {}
    for mode in MODES:
        value = getattr(form, mode).data
        if not isinstance(value, int) or getattr(form, mode).errors or value < 0:
            value = int(series.get(mode) or 0)
        shown[mode] = f"{series.get('series', '')}-{value + 1}"
    return shown
