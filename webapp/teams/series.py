"""Invoice series of a team: list with next folios, create, edit counters.

Counters hold the **last folio issued** per mode (REFERENCE §7.11), so the next folio is the
value + 1. Lowering a counter risks reusing folios: it asks for a reason and the audit keeps
the old and new values; gigstack refuses a value below a folio already issued, shown on the
field.
"""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp
from wtforms.validators import ValidationError as FieldError

from webapp import once
from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.forms import BackofficeForm
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page

from .forms import strip
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("series", __name__, "/series")

MAX_FOLIO = 2_000_000_000
COUNTER_HINT = _l("The last folio issued in this mode; the next invoice gets this + 1.")


def _counter(label) -> IntegerField:
    return IntegerField(
        label,
        default=0,
        description=COUNTER_HINT,
        validators=[
            InputRequired(_l("Type a whole number (0 or more).")),
            NumberRange(min=0, max=MAX_FOLIO, message=_l("Type a whole number (0 or more).")),
        ],
    )


class SeriesForm(BackofficeForm):
    once = HiddenField()
    series = StringField(
        _l("Series"),
        filters=[lambda v: v.strip().upper() if v else v],
        validators=[
            DataRequired(_l("Type the series name.")),
            Length(max=25, message=_l("At most 25 characters.")),
            Regexp(r"^[^|]*$", message=_l("A series cannot contain |.")),
        ],
    )
    live = _counter(_l("Live counter"))
    test = _counter(_l("Test counter"))


class SeriesEditForm(BackofficeForm):
    live = _counter(_l("Live counter"))
    test = _counter(_l("Test counter"))
    reason = TextAreaField(
        _l("Reason (required when lowering a counter)"),
        filters=[strip],
        validators=[Length(max=500)],
    )

    lowered: bool = False

    def validate_reason(self, field: Field) -> None:
        if self.lowered and not field.data:
            raise FieldError(_l("Lowering a counter may reuse folios: say why."))


def next_folio(series: dict, mode: str) -> str:
    """``A-13`` for a series A whose ``mode`` counter is 12."""
    return f"{series.get('series', '')}-{int(series.get(mode) or 0) + 1}"


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /teams/{id}/series`` (all in one page)."""
    rows = api().teams.series(current_team_id())
    return render_page(
        "series/page.html",
        "series/_rows.html",
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
        return render_page("series/new.html", "series/_form.html", form=form)
    if not form.validate():
        return form_failed("series/new.html", "series/_form.html", "series-form", form=form)
    claim = once.claim(form.once.data)
    if not claim.fresh:
        return once.repeated(claim)
    try:
        created = api().teams.create_series(
            current_team_id(), form.series.data, form.live.data, form.test.data
        )
    except (ValidationError, Conflict) as error:
        once.release(form.once.data)
        record(
            "series.create", object_type="series", object_id=form.series.data, outcome=error.code
        )
        if isinstance(error, Conflict):
            form.series.errors.append(_("A series with this name already exists."))
            unplaced = []
        else:
            unplaced = apply_api_errors(form, error)
        return form_failed(
            "series/new.html",
            "series/_form.html",
            "series-form",
            form=form,
            error=" ".join(unplaced) or None,
        )
    except Exception:
        once.release(form.once.data)
        raise
    record(
        "series.create",
        object_type="series",
        object_id=created.get("id"),
        reason=f"{created.get('series')}: live {created.get('live')}, test {created.get('test')}",
    )
    target = url_for("series.index")
    once.done(form.once.data, target)
    return navigate(target)


def _series_or_404(series_id: str) -> dict:
    rows = api().teams.series(current_team_id())
    found = next((s for s in rows if s.get("id") == series_id), None)
    if found is None:
        abort(404)
    return found


@bp.route("/<series_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(series_id: str):
    """Move the counters; a preview shows the next folio as you type.

    Upstream calls: ``GET /teams/{id}/series``; on save ``PUT /teams/{id}/series/{sid}``.
    """
    series = _series_or_404(series_id)
    form = SeriesEditForm(data={"live": series.get("live"), "test": series.get("test")})
    if request.method == "GET" and request.args:
        form = SeriesEditForm(request.args, meta={"csrf": False})
        form.validate()
    context = {
        "form": form,
        "series": series,
        "next_folio": next_folio,
        "preview": _preview(series, form),
    }
    if not form.is_submitted() or request.method == "GET":
        return render_page(
            "series/edit.html",
            {"series-preview": "series/_preview.html", "series-form": "series/_edit_form.html"},
            **context,
        )
    changes = {
        mode: getattr(form, mode).data
        for mode in ("live", "test")
        if getattr(form, mode).data is not None and getattr(form, mode).data != series.get(mode)
    }
    form.lowered = any(value < int(series.get(mode) or 0) for mode, value in changes.items())
    if not form.validate():
        return form_failed("series/edit.html", "series/_edit_form.html", "series-form", **context)
    if not changes:
        return navigate(url_for("series.index"))
    summary = "; ".join(f"{mode}: {series.get(mode)} → {value}" for mode, value in changes.items())
    reason = f"{summary}; {form.reason.data}" if form.reason.data else summary
    try:
        api().teams.update_series(current_team_id(), series_id, **changes)
    except ValidationError as error:
        record(
            "series.update",
            object_type="series",
            object_id=series_id,
            outcome=error.code,
            reason=reason,
        )
        unplaced = apply_api_errors(form, error)
        return form_failed(
            "series/edit.html",
            "series/_edit_form.html",
            "series-form",
            error=" ".join(unplaced) or None,
            **context,
        )
    record("series.update", object_type="series", object_id=series_id, reason=reason)
    return navigate(url_for("series.index"))


def _preview(series: dict, form: SeriesEditForm) -> dict[str, str]:
    """The next folio per mode with the counters typed so far (the current ones if invalid)."""
    shown = {}
    for mode in ("live", "test"):
        value = getattr(form, mode).data
        if not isinstance(value, int) or getattr(form, mode).errors or value < 0:
            value = int(series.get(mode) or 0)
        shown[mode] = f"{series.get('series', '')}-{value + 1}"
    return shown
