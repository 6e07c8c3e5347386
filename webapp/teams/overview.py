"""One team: overview with the onboarding checklist, edit, delete and the onboarding link.

Mounted at ``/teams/<team_id>``; the team is checked before any view runs
(:mod:`webapp.teams.scoped`).
"""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import catalogs
from webapp.api import api, unscoped_api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Forbidden, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page
from webapp.parallel import gather
from webapp.shell import scope

from .details import forget_team, team_details
from .forms import TeamDeleteForm, TeamEditForm, form_data, team_payload
from .readiness import checklist, csd_state, is_ready
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("team", __name__)


@bp.get("/")
@requires(Role.VIEWER)
def show():
    """Fiscal data, brand, CSD, integrations, series, members and the onboarding checklist.

    Upstream calls, at once: ``GET /teams/{id}`` (cached 30 s), ``GET /teams/{id}/series``,
    ``GET /teams/integrations?team=``.
    """
    team_id = current_team_id()
    client = api()
    team, series, integrations = gather(
        lambda: team_details(client, team_id),
        lambda: client.teams.series(team_id),
        lambda: client.teams.integrations(),
    )
    sat = team.get("sat") or {}
    items = checklist(team, series)
    return render_template(
        "teams/show.html",
        team=team,
        series=series,
        integrations=integrations,
        items=items,
        ready=is_ready(items),
        csd=csd_state(bool(sat.get("completed")), sat.get("csd_expires_at")),
        regime=catalogs.label("tax_regimes", team.get("tax_system")),
        live=client.key_info.is_live,
    )


@bp.route("/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit():
    """Partial update: only the changed fields are sent. Upstream calls: ``GET /teams/{id}``
    (cached), ``PUT /teams/{id}`` on save."""
    team_id = current_team_id()
    client = api()
    team = team_details(client, team_id)
    form = TeamEditForm(data=form_data(team))
    form.offer_regimes()
    context = {"form": form, "team": team}
    if not form.is_submitted():
        return render_page("teams/edit.html", "teams/_edit_form.html", **context)
    if not form.validate():
        return form_failed("teams/edit.html", "teams/_edit_form.html", "team-form", **context)
    payload = team_payload(form, team)
    if not payload:
        return navigate(_overview())
    try:
        updated = client.teams.update(team_id, payload)
    except ValidationError as error:
        record("team.update", object_type="team", object_id=team_id, outcome=error.code)
        unplaced = apply_api_errors(form, error)
        return form_failed(
            "teams/edit.html",
            "teams/_edit_form.html",
            "team-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    forget_team(team_id)
    scope.directory().forget()
    changed = sorted(k for k in payload if k != "generate_onboarding_url")
    record(
        "team.update",
        object_type="team",
        object_id=team_id,
        reason="changed: "
        + ", ".join(changed)
        + ("; onboarding link generated" if updated.get("onboarding_url") else ""),
    )
    if updated.get("onboarding_url"):
        body = render_template(
            "teams/onboarding_link.html", team=updated, link=updated["onboarding_url"]
        )
        return body, 200, {"Cache-Control": "no-store"}
    return navigate(_overview())


def _overview() -> str:
    return url_for("team.show")


@bp.route("/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def delete():
    """Admins only: typed RFC plus a reason. Upstream calls: ``DELETE /teams/{id}``; the key's
    own team is refused by gigstack and its message shown."""
    team_id = current_team_id()
    client = api()
    team = team_details(client, team_id)
    form = TeamDeleteForm()
    context = {"form": form, "team": team}
    if not form.is_submitted():
        return render_page("teams/delete.html", "teams/_confirm.html", **context)
    expected = (team.get("tax_id") or team_id).upper()
    if form.validate() and form.confirm_rfc.data != expected:
        form.confirm_rfc.errors = [_("This is not the team's RFC (%(rfc)s).", rfc=expected)]
    if form.errors:
        return form_failed("teams/delete.html", "teams/_confirm.html", "team-delete", **context)
    try:
        client.teams.delete(team_id)
    except (Forbidden, ValidationError) as error:
        record(
            "team.delete",
            object_type="team",
            object_id=team_id,
            outcome=error.code,
            reason=form.reason.data,
        )
        return form_failed(
            "teams/delete.html",
            "teams/_confirm.html",
            "team-delete",
            error=error.message,
            **context,
        )
    record("team.delete", object_type="team", object_id=team_id, reason=form.reason.data)
    forget_team(team_id)
    scope.directory().forget()
    flash(_("Team %(name)s was deleted.", name=team.get("legal_name") or team_id), "info")
    return navigate(url_for("teams.index"))


@bp.post("/onboarding-link")
@requires(Role.OPERATOR)
def onboarding_link():
    """A fresh Connect onboarding link, shown once. Upstream calls:
    ``GET /teams/{id}/onboarding-url`` — only on this explicit POST, never on page load (each
    call invalidates the previous link). Audited without the URL; never cached or logged."""
    team_id = current_team_id()
    try:
        link = unscoped_api().teams.onboarding_url(team_id)
    except GigstackError as error:
        record("team.onboarding_link", object_type="team", object_id=team_id, outcome=error.code)
        raise
    record(
        "team.onboarding_link",
        object_type="team",
        object_id=team_id,
        reason="link shown once; older links stop working",
    )
    body = render_page(
        "teams/onboarding_link.html",
        "teams/_onboarding_link.html",
        team=team_details(api(), team_id),
        link=link,
        by=current_user.email,
        target=request.headers.get("HX-Target"),
    )
    return body, 200, {"Cache-Control": "no-store"}
