"""The team's settings screen (a view of the ``team`` blueprint, registered by
:mod:`webapp.teams.overview`): the settings grouped as the API groups them
(:mod:`webapp.teams.setting_groups`), only the changed fields sent."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from webapp.actions import Screen, changed_reason, confirmation, perform, refused_on_fields
from webapp.api import api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.i18n import gettext as _
from webapp.pages import navigate
from webapp.parallel import gather

from .details import forget_everywhere
from .forms import settings_form
from .scoped import current_team_id
from .setting_groups import GROUPS, changed_paths, changed_payload, form_values, shown_groups

SETTINGS = Screen("teams/update_settings.html", "teams/_settings_form.html", "settings-form")


@requires(Role.VIEWER)
def update_settings():
    """Upstream calls, at once: ``GET /teams/{id}/settings``, ``GET /teams/{id}/series``;
    on save ``PUT /teams/{id}/settings`` with the changed fields only (operators; viewers
    see the settings as facts, the whole page whatever htmx targets)."""
    team_id = current_team_id()
    client = api()
    current, series = gather(
        lambda: client.teams.settings(team_id), lambda: client.teams.series(team_id)
    )
    names = [s.get("series") for s in series if s.get("series")]
    form = settings_form(names, form_values(current))
    context = {"form": form, "groups": GROUPS, "current": current}
    may_change = current_user.can(Role.OPERATOR)
    if not form.is_submitted():
        if not may_change:  # facts, not a form they cannot send
            return SETTINGS.show(SETTINGS.page, shown=shown_groups(form), **context)
        return SETTINGS.show(**context)
    if not may_change:
        abort(403, description="role")
    if not form.validate():
        return SETTINGS.failed(**context)
    payload = changed_payload(form, current)
    if not payload:
        return navigate(url_for("team.show"))
    return perform(
        form,
        lambda: _saved(team_id, payload),
        screen=SETTINGS,
        context=context,
        validate=False,
        audit="team.update_settings",
        object_id=team_id,
        detail=lambda _saved: changed_reason(changed_paths(payload), "setting"),
        refused=refused_on_fields,
        message=confirmation(
            _("%(name)s of the team saved."), _("Settings"), url_for("team.update_settings")
        ),
        then=url_for("team.show"),
    )


def _saved(team_id: str, payload: dict) -> None:
    api().teams.update_settings(team_id, payload)
    forget_everywhere(team_id)
