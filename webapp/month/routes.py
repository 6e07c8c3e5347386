"""The accountant's month: ``/teams/<team>/exports/month`` (one team) and ``/exports/month``
(admins: several teams, one ZIP each). Both only start a job — no upstream call here — and
go to its page, whose widget follows it."""

from __future__ import annotations

from flask import Blueprint, url_for

from webapp import once
from webapp.actions import Screen
from webapp.audit import Detail, enums
from webapp.audit.details import JOB_MONTH
from webapp.auth.access import reads_only, requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.i18n import gettext as _
from webapp.jobs import lifecycle
from webapp.shell import scope
from webapp.staff.forms import SOME_TEAMS
from webapp.teams.scoped import current_team_id, team_blueprint

from . import periods
from .forms import MonthForm, PartnerMonthForm
from .job import MONTH, kind_labels, status_labels

bp = team_blueprint("exports", __name__, "/exports", verbs=("month",))
partner_bp = Blueprint("partner_exports", __name__, url_prefix="/exports")
partner_bp.verbs = ("month",)
partner_bp.object = "export"

SCREEN = Screen("month/month.html", "month/_form.html", "month-form")


def _offer_months(form: MonthForm) -> None:
    months = periods.offered(utcnow())
    form.month.choices = [(periods.key(m), periods.label(m)) for m in months]
    if not form.is_submitted():
        form.month.data = periods.key(months[0])
        form.once.data = once.issue()


def _description(params: dict) -> Detail:
    """The audit detail of a start: ``2026-05: income, egress; valid, cancelled``."""
    return Detail(
        JOB_MONTH,
        month=params["month"],
        kinds=enums("document_kind", params["kinds"]),
        statuses=enums("invoice_status", params["statuses"]),
    )


def _start(form: MonthForm, team: str | None, params: dict):
    return lifecycle.start_once(
        form.once.data, MONTH, team=team, params=params, description=_description(params)
    )


def _context(form: MonthForm, **extra) -> dict:
    return {
        "form": form,
        "kind_labels": kind_labels(),
        "status_labels": status_labels(),
        "title": _("The accountant's month"),
        **extra,
    }


@bp.route("/month", methods=["GET", "POST"])
@reads_only
@requires(Role.VIEWER)
def month():
    """Pick a month (last month by default) and what goes in; a job makes the ZIP. No
    upstream call: the job lists and fetches the month's CFDI (see ``webapp.month.job``)."""
    form = MonthForm()
    _offer_months(form)
    context = _context(form, partner=False, back_url=url_for("jobs.index"))
    if not form.is_submitted():
        return SCREEN.show(**context)
    if not form.validate():
        return SCREEN.failed(**context)
    return _start(form, current_team_id(), form.params())


@partner_bp.route("/month", methods=["GET", "POST"], endpoint="month")
@requires(Role.ADMIN)
def month_all():
    """The month for every team the admin may use, or those chosen: one job, one ZIP per
    team. Teams come from the cached team list (no upstream call when it is at hand)."""
    form = PartnerMonthForm()
    _offer_months(form)
    allowed = {team.id: team for team in scope.allowed_teams()}
    chosen = [t for t in dict.fromkeys(form.teams.data or []) if t in allowed]
    form.teams.choices = [(t, _team_label(allowed[t])) for t in chosen]
    context = _context(form, partner=True, teams_ok=True, back_url=url_for("all_jobs.index"))
    if not form.is_submitted():
        return SCREEN.show(**context)
    if not form.validate():
        return SCREEN.failed(**context)
    if form.teams_mode.data == SOME_TEAMS:
        outside = [t for t in form.teams.data or [] if t not in allowed]
        if outside or not chosen:
            form.teams.errors = [_("Choose teams you may use.")]
            return SCREEN.failed(**context)
        teams = chosen
    else:
        teams = list(allowed)
    if not teams:
        form.teams.errors = [_("You may use no team.")]
        return SCREEN.failed(**context)
    params = {**form.params(), "teams": teams}
    return _start(form, None, params)


def _team_label(team) -> str:
    return f"{team.name} · {team.tax_id}" if team.tax_id else team.name
