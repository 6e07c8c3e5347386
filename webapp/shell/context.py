"""Template helpers of the shell: the switcher's state, "this page" and role names."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, request
from flask_login import current_user

from webapp.auth.access import safe_next
from webapp.auth.roles import Role
from webapp.i18n import lazy_gettext as _l
from webapp.pages import htmx_page_path
from webapp.teams.team_list import TeamChoice

from . import scope

ROLE_LABELS = {"admin": _l("Administrator"), "operator": _l("Operator"), "viewer": _l("Viewer")}


@dataclass
class SwitcherState:
    selected: TeamChoice | None = None
    teams: list[TeamChoice] = field(default_factory=list)
    # no list at hand (gigstack slow or down): the options load when the menu is opened
    lazy: bool = False
    team_id: str | None = None


def team_switcher() -> SwitcherState:
    """The switcher's data, never waiting on gigstack: pages that need nothing from it (and
    error pages) answer at once whatever state gigstack is in."""
    if "switcher_state" not in g:
        teams = scope.allowed_teams_at_hand()
        if teams is None:
            g.switcher_state = SwitcherState(lazy=True, team_id=scope.selected_team_id())
        else:
            g.switcher_state = SwitcherState(scope.selected_team(), teams)
    return g.switcher_state


def here() -> str:
    """The page the user is looking at (for htmx fragments: the page that asked for them)."""
    path = htmx_page_path()
    if path is None:
        path = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return safe_next(path) or "/"


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def may(role: str) -> bool:
    """Whether the signed-in staff member's role is ``role`` or above (buttons, links)."""
    return bool(current_user.is_authenticated and current_user.can(Role(role)))


def template_helpers() -> dict:
    return {"team_switcher": team_switcher, "here": here, "role_label": role_label}
