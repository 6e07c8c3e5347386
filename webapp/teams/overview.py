"""One team's own screens, the ``team`` blueprint: overview with the onboarding checklist,
edit, delete and the onboarding link here; the CSD (:mod:`webapp.teams.csd`) and the settings
(:mod:`webapp.teams.settings`) are registered on it at the end of this module.

Mounted at ``/teams/<team_id>``; the team is checked before any view runs
(:mod:`webapp.teams.scoped`).
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from webapp import catalogs
from webapp.actions import (
    Screen,
    changed_reason,
    confirmation,
    perform,
    refused_on_fields,
    refused_with_message,
    verb_screen,
)
from webapp.api import api, unscoped_api
from webapp.audit import Detail, enums
from webapp.audit.details import CHANGED_WITH_LINK, LINK_SHOWN_OLDER_STOP
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack.errors import Forbidden, ValidationError
from webapp.i18n import gettext as _
from webapp.pages import navigate, render_page
from webapp.parallel import gather

from . import csd, settings
from .details import forget_everywhere, team_details, team_name
from .forms import TeamDeleteForm, TeamEditForm, form_data, team_payload
from .readiness import checklist, csd_state, is_ready
from .scoped import current_team_id, team_blueprint

bp = team_blueprint(
    "team", __name__, verbs=("csd", "upload_csd", "update_settings", "onboarding_link")
)

EDIT = Screen("teams/edit.html", "teams/_edit_form.html", "team-form")
DELETE = verb_screen("teams/_confirm.html", "team-delete")


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
    team = team_details(api(), team_id)
    form = TeamEditForm(data=form_data(team))
    form.offer_regimes()
    if not form.is_submitted():
        return EDIT.show(form=form, team=team)
    if not form.validate():
        return EDIT.failed(form=form, team=team)
    payload = team_payload(form, team)
    if not payload:
        return navigate(url_for("team.show"))
    return perform(
        form,
        lambda: _updated(team_id, payload),
        screen=EDIT,
        context={"team": team},
        validate=False,
        audit="team.update",
        object_id=team_id,
        detail=lambda updated: _changes(payload, updated),
        refused=refused_on_fields,
        message=lambda updated: confirmation(
            _("Team %(name)s saved."), team_name(updated or team), url_for("team.show")
        ),
        then=_edited,
    )


def _updated(team_id: str, payload: dict) -> dict:
    updated = api().teams.update(team_id, payload)
    forget_everywhere(team_id)
    return updated


def _changes(payload: dict, updated: dict) -> Detail:
    fields = [k for k in payload if k != "generate_onboarding_url"]
    if not updated.get("onboarding_url"):
        return changed_reason(fields)
    return Detail(CHANGED_WITH_LINK, fields=enums("field", sorted(fields)))


def _edited(updated: dict):
    """The overview, or — when a link was asked for — the link, shown once (never cached)."""
    if not updated.get("onboarding_url"):
        return url_for("team.show")
    link = updated["onboarding_url"]
    body = render_template("teams/onboarding_link.html", team=updated, link=link)
    return body, 200, {"Cache-Control": "no-store"}


@bp.route("/delete", methods=["GET", "POST"])
@requires(Role.ADMIN)
def delete():
    """Admins only: typed RFC plus a reason. Upstream calls: ``DELETE /teams/{id}``; the key's
    own team is refused by gigstack and its message shown."""
    team_id = current_team_id()
    team = team_details(api(), team_id)
    form = TeamDeleteForm()
    context = {"team": team, "title": _("Delete team")}
    if not form.is_submitted():
        return DELETE.show(form=form, **context)
    expected = (team.get("tax_id") or team_id).upper()
    if form.validate() and form.confirm_rfc.data != expected:
        form.confirm_rfc.errors = [_("This is not the team's RFC (%(rfc)s).", rfc=expected)]
    if form.errors:
        return DELETE.failed(form=form, **context)
    return perform(
        form,
        lambda: _deleted(team_id),
        screen=DELETE,
        context=context,
        validate=False,
        audit="team.delete",
        object_id=team_id,
        refusals=(Forbidden, ValidationError),
        refused=refused_with_message,
        message=confirmation(_("Team %(name)s was deleted."), team_name(team)),
        then=url_for("teams.index"),
    )


def _deleted(team_id: str) -> None:
    api().teams.delete(team_id)
    forget_everywhere(team_id)


@bp.post("/onboarding-link")
@requires(Role.OPERATOR)
def onboarding_link():
    """A fresh Connect onboarding link, shown once. Upstream calls:
    ``GET /teams/{id}/onboarding-url`` — only on this explicit POST, never on page load (each
    call invalidates the previous link). Audited without the URL; never cached or logged."""
    team_id = current_team_id()
    return perform(
        None,
        lambda: unscoped_api().teams.onboarding_url(team_id),
        screen=EDIT,
        audit="team.onboarding_link",
        object_id=team_id,
        detail=Detail(LINK_SHOWN_OLDER_STOP),
        refusals=(),
        message=lambda _link: confirmation(
            _("A new onboarding link for %(name)s: it is shown once, below."),
            team_name(team_details(api(), team_id)),
            url_for("team.show"),
        ),
        then=lambda link: _link_page(team_id, link),
        repeat_to=url_for("team.show"),
    )


def _link_page(team_id: str, link: str):
    body = render_page(
        "teams/onboarding_link.html",
        "teams/_onboarding_link.html",
        team=team_details(api(), team_id),
        link=link,
        by=current_user.email,
        target=request.headers.get("HX-Target"),
    )
    return body, 200, {"Cache-Control": "no-store"}


# the CSD and the settings are screens of the one team too (DESIGN.md, "URLs"); their views
# live in their own modules and are registered here, so the app imports only this blueprint
bp.add_url_rule("/csd", view_func=csd.csd, methods=["GET"])
bp.add_url_rule("/csd", view_func=csd.upload_csd, methods=["POST"])
bp.add_url_rule("/settings", view_func=settings.update_settings, methods=["GET", "POST"])
