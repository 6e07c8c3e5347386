"""Blueprints whose pages live under ``/teams/<team_id>/…`` (DESIGN.md, "URLs").

The team id comes off the URL before the view runs (``url_value_preprocessor``), is checked
against the staff member's limits and the key's reach (404 for both, the same page, recorded
in the audit log), and ``url_for`` fills it in again (``url_defaults``). Views never take the
team from the session: they ask :func:`webapp.api.api` for the client bound to it.

The object ids in such a URL (``client_id``, ``uuid``…) are checked there too: one that is no
id (blank, a dot, a slash…) is the 404 page before the view asks gigstack anything.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, request
from flask_login import current_user

from webapp.gigstack.resources.base import ID_SHAPE
from webapp.shell import scope

URL_TEAM = "url_team_id"
TEAM_ENDPOINTS = "team_endpoints"


def team_blueprint(
    name: str, import_name: str, path: str = "", verbs: tuple[str, ...] = ()
) -> Blueprint:
    """A blueprint mounted at ``/teams/<team_id><path>`` whose views see the team checked.

    ``verbs``: its endpoints beyond DESIGN.md's vocabulary (``cancel``, ``refund``…), which
    ``tests/app/test_vocabulary.py`` accepts because they are declared here.
    """
    bp = Blueprint(name, import_name, url_prefix=f"/teams/<team_id>{path}")
    bp.verbs = verbs
    bp.url_value_preprocessor(take_team_id)
    bp.before_request(check_team)
    return bp


def take_team_id(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Views do not receive ``team_id``: it is the request's team, checked before they run."""
    if values and "team_id" in values:
        g.setdefault(URL_TEAM, values.pop("team_id"))


def check_team() -> None:
    """404 (recorded) for a team outside the staff member's limits or the key's reach; 404
    for an object id that is no id.

    Runs after sign-in is enforced (app before-request hooks run first), so anonymous
    visitors are sent to sign in and learn nothing about the team.
    """
    team_id = g.get(URL_TEAM)
    if team_id is None or not current_user.is_authenticated:
        return
    try:
        scope.enter_team(team_id)
    except scope.TeamRefused as refused:
        from webapp.audit import record

        record("team.open", object_type="team", object_id=team_id[:128], outcome=refused.outcome)
        abort(404)
    if not all(ID_SHAPE.fullmatch(value) for value in object_ids(request.view_args)):
        abort(404)


def object_ids(values: dict[str, Any] | None) -> list[str]:
    """The values of a URL's object ids: ``uuid`` and every ``…_id`` (the team's is gone)."""
    return [
        str(value)
        for name, value in (values or {}).items()
        if name == "uuid" or name.endswith("_id")
    ]


def fill_team_id(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for`` on a team page keeps its team; elsewhere it uses the last team used."""
    if "team_id" in values or endpoint not in current_app.extensions[TEAM_ENDPOINTS]:
        return
    team_id = scope.link_team_id()
    if team_id:
        values["team_id"] = team_id


def current_team_id() -> str:
    """The id of the team in this request's URL (checked before the view ran)."""
    return g.selected_team.id


def init_app(app: Flask) -> None:
    """After every blueprint is registered: which endpoints take a team is known once (a page
    of 25 rows builds some 50 links)."""
    app.extensions[TEAM_ENDPOINTS] = frozenset(
        rule.endpoint for rule in app.url_map.iter_rules() if "team_id" in rule.arguments
    )
    app.url_defaults(fill_team_id)
