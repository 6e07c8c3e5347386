"""Template helpers of the shell: the switcher's state, "this page" and role names."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import g, request, url_for
from flask_login import current_user

from webapp.auth.access import safe_next
from webapp.auth.models import PINNED_LIMIT
from webapp.auth.roles import Role
from webapp.i18n import lazy_gettext as _l
from webapp.pages import htmx_page_path
from webapp.teams.team_index import TeamIndex
from webapp.teams.team_list import TeamChoice, directory

from . import scope

ROLE_LABELS = {"admin": _l("Administrator"), "operator": _l("Operator"), "viewer": _l("Viewer")}
# search results the switcher shows at most ("N more: refine the search" beyond)
SEARCH_LIMIT = 20


@dataclass
class TeamOptions:
    """What the switcher offers: the pinned and recent teams, or a search's first results.

    Never the whole list: the frame of every page carries it, at any number of teams."""

    pinned: list[TeamChoice] = field(default_factory=list)
    recent: list[TeamChoice] = field(default_factory=list)
    found: list[TeamChoice] | None = None  # a search's results (None: no search)
    more: int = 0
    query: str = ""
    none_allowed: bool = False  # the staff member may use none of the key's teams
    pinned_ids: frozenset[str] = frozenset()

    @property
    def pins_left(self) -> bool:
        return len(self.pinned_ids) < PINNED_LIMIT

    @cached_property
    def pin_url(self) -> str:
        return url_for("shell.pin")

    @cached_property
    def unpin_url(self) -> str:
        return url_for("shell.unpin")


@dataclass
class SwitcherState:
    selected: TeamChoice | None = None
    options: TeamOptions = field(default_factory=TeamOptions)
    # no list at hand (gigstack slow or down): the options load when the menu is opened
    lazy: bool = False
    team_id: str | None = None


def team_switcher() -> SwitcherState:
    """The switcher's data, never waiting on gigstack: pages that need nothing from it (and
    error pages) answer at once whatever state gigstack is in."""
    if "switcher_state" not in g:
        index = directory().index_without_waiting() if current_user.is_authenticated else None
        if index is None:
            g.switcher_state = SwitcherState(lazy=True, team_id=scope.selected_team_id())
        else:
            g.switcher_state = SwitcherState(scope.selected_team(), team_options(index))
    return g.switcher_state


def team_options(index: TeamIndex, query: str = "") -> TeamOptions:
    """The switcher's options for what was typed: the teams a search finds (name, legal
    name, RFC or id, accents and case aside), or without a search the pinned and recent ones."""
    allowed = scope.allowed_in(index)
    pinned_ids = frozenset(current_user.pinned_team_ids or ())
    options = TeamOptions(query=query, none_allowed=allowed == [], pinned_ids=pinned_ids)
    if query.strip():
        found = index.search(query, allowed) or []
        options.found = [index.teams[at] for at in found[:SEARCH_LIMIT]]
        options.more = max(0, len(found) - SEARCH_LIMIT)
        return options
    usable = (index.get(i) for i in current_user.pinned_team_ids or ())
    options.pinned = [team for team in usable if team and current_user.may_use_team(team.id)]
    recent = (index.get(i) for i in scope.recent_team_ids() if i not in pinned_ids)
    options.recent = [team for team in recent if team and current_user.may_use_team(team.id)]
    return options


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
