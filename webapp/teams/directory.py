"""The team directory (``/teams/``), team creation and the regime picker.

Every team the key reaches, within the staff member's limits, from the cached team list
(one ``GET /teams`` walk per ``TEAM_LIST_TTL_SECONDS``, shared by the switcher): tabs with
counts, search, sort and page all run on that copy and on what its index worked out once
(search keys, tabs, sort orders), so the page costs no upstream call and little CPU at
thousands of teams.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from webapp import catalogs, once
from webapp.actions import Screen, confirmation, perform, refused_on_fields
from webapp.api import unscoped_api
from webapp.audit import Detail
from webapp.audit.details import ONBOARDING_LINK
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import now_seconds
from webapp.exports import csv_response
from webapp.formatting import local_date
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.pages import list_url, page_number, render_page
from webapp.shell import scope

from .details import team_name
from .forms import DirectoryFilterForm, TeamCreateForm, regime_choices, team_payload
from .readiness import csd_state
from .team_list import TeamChoice, directory

bp = Blueprint("teams", __name__, url_prefix="/teams")
bp.verbs = ("export_csv", "regime_options")

NEW = Screen("teams/new.html", "teams/_form.html", "team-form")

PAGE_SIZE = 25  # rows a page shows, as every list of the dashboard


def _csd(team: TeamChoice):
    return csd_state(team.csd_completed, team.csd_expires_at)


# which teams each tab holds is worked out once per list version (see team_index.TAB_RULES)
TABS: dict[str, object] = {
    "all": _l("All"),
    "ready": _l("Ready to invoice"),
    "missing-csd": _l("Missing CSD"),
    "expiring": _l("CSD expiring within 30 days"),
    "missing-fiscal": _l("Missing fiscal data"),
}
SORTS: dict[str, tuple[Callable[[TeamChoice], object], bool]] = {
    "name": (lambda team: team.name.casefold(), False),
    "rfc": (lambda team: team.tax_id, False),
    "created": (lambda team: team.created_at or 0, False),
    "-created": (lambda team: team.created_at or 0, True),
    "csd": (lambda team: team.csd_expires_at or math.inf, False),
}
CSV_COLUMNS = (
    "id",
    "alias",
    "legal_name",
    "rfc",
    "regime",
    "postal_code",
    "csd_status",
    "csd_expires",
    "default_series",
    "created",
)


def _filtered() -> tuple[DirectoryFilterForm, str, list[TeamChoice], dict[str, int]]:
    """The filters, the tab, the rows of the tab matching the search in the chosen order, and
    the tab counts.

    From the index of the list: a search is one pass over precomputed keys, counts are set
    sizes, the order is precomputed per sort; no Python call per team on the way.
    """
    form = DirectoryFilterForm(request.args)
    form.validate()
    tab = request.args.get("tab", "all")
    if tab not in TABS:
        tab = "all"
    query = "" if form.q.errors else (form.q.data or "")
    index, allowed = scope.allowed_index()
    matching = index.search(query, allowed)  # None: every team
    tabs = index.tabs(now_seconds())
    chosen = set(matching) if matching is not None else None
    counts = {
        name: len(members) if chosen is None else len(members.intersection(chosen))
        for name, members in tabs.items()
    }
    sort = form.sort.data if form.sort.data in SORTS else "name"
    order = index.order(sort, *SORTS[sort])
    wanted = tabs[tab] if chosen is None else tabs[tab].intersection(chosen)
    rows = [index.teams[at] for at in order if at in wanted]
    return form, tab, rows, counts


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /teams`` (every page) only when the cached list is stale."""
    form, tab, rows, counts = _filtered()
    page = page_number(math.ceil(len(rows) / PAGE_SIZE))
    links = {
        "first": list_url("page") if page > 1 else None,
        "next": list_url("page", str(page + 1)) if page * PAGE_SIZE < len(rows) else None,
    }
    tabs = [
        (list_url("page", tab=None if name == "all" else name), label, counts[name], name == tab)
        for name, label in TABS.items()
    ]
    return render_page(
        "teams/page.html",
        "teams/_rows.html",
        form=form,
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        links=links,
        tabs=tabs,
        tab=tab,
        csd_of=_csd,
        regime_name=_regime_name,
    )


def _regime_name(code: str) -> str:
    entry = catalogs.get("tax_regimes", code) if code else None
    return entry["name"] if entry else code


@bp.get("/export.csv")
@requires(Role.VIEWER)
def export_csv():
    """The filtered rows of the tab as CSV (same search and sort as the page)."""
    _form, _tab, rows, _counts = _filtered()
    return csv_response("teams", CSV_COLUMNS, (_csv_row(team) for team in rows))


def _csv_row(team: TeamChoice) -> list:
    return [
        team.id,
        team.name,
        team.legal_name,
        team.tax_id,
        team.tax_system,
        team.zip,
        _csd(team).status,
        local_date(team.csd_expires_at) if team.csd_expires_at else "",
        team.default_series,
        local_date(team.created_at) if team.created_at else "",
    ]


@bp.get("/regimes")
@requires(Role.VIEWER)
def regime_options():
    """The regime ``<option>``s that fit the RFC typed so far (htmx, no upstream call)."""
    rfc = request.args.get("tax_id", "")[:20]
    return render_template(
        "teams/_regime_options.html",
        choices=regime_choices(rfc),
        selected=request.args.get("tax_system", ""),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Create a team in the key's billing account (Connect). Upstream calls: ``POST /teams``.

    With "generate onboarding link" the answer shows the link once (never redirected to,
    stored or logged).
    """
    form = TeamCreateForm()
    form.offer_regimes()
    if not form.is_submitted():
        form.once.data = once.issue()
        return NEW.show(form=form)
    return perform(
        form,
        lambda: _created(team_payload(form)),
        screen=NEW,
        check=lambda: _same_rfc(form),
        audit="team.create",
        object_id=lambda team: team["id"],
        team=lambda team: team["id"],
        detail=lambda team: Detail(ONBOARDING_LINK) if team.get("onboarding_url") else None,
        refusals=(ValidationError, Conflict),
        refused=refused_on_fields,
        message=lambda team: confirmation(
            _("Team %(name)s created."), team_name(team), _overview(team)
        ),
        then=_created_page,
        repeat_to=_overview,
    )


def _same_rfc(form: TeamCreateForm):
    """The form again with a warning when other teams of the account already have this RFC
    (from the shared team list: no call), until the operator ticks that it is meant."""
    rfc = form.tax_id.data or ""
    others = directory().index().with_rfc(rfc) if rfc else ()
    if not others or form.confirmed_same_rfc():
        return None
    return NEW.failed(
        form=form, same_rfc=[(team, current_user.may_use_team(team.id)) for team in others]
    )


def _created(payload: dict) -> dict:
    team = unscoped_api().teams.create(payload)
    directory().forget()
    return team


def _overview(team: dict) -> str:
    return url_for("team.show", team_id=team["id"])


def _created_page(team: dict):
    """The new team's overview, or — with an onboarding link — the link, shown once."""
    if not team.get("onboarding_url"):
        return _overview(team)
    link = team["onboarding_url"]
    body = render_page("teams/new.html", "teams/_created.html", team=team, link=link)
    return body, 201, {"Cache-Control": "no-store"}
