"""Home (the selected team at a glance), the team switcher and the language choice."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.audit import Detail, enum, record
from webapp.audit.details import LANGUAGE, TEAM_SWITCH
from webapp.auth.access import public, requires, safe_next, signed_in
from webapp.auth.roles import Role
from webapp.auth.sessions import editable_current_staff
from webapp.extensions import db
from webapp.pages import is_htmx, navigate

from . import context, scope

bp = Blueprint("shell", __name__)
bp.verbs = ("home", "favicon", "set_language", "switch_team", "team_options", "pin", "unpin")
bp.object = None  # the frame: its actions are about the staff member and the team


@bp.get("/")
@requires(Role.VIEWER)
def home():
    """To the last team used (kept in the session) if still allowed, else the key's own."""
    team = scope.selected_team()
    if team is None:
        abort(403, description="no_team_in_scope")
    return redirect(url_for("team.show", team_id=team.id))


@bp.get("/team/options")
@signed_in
def team_options():
    """The switcher's options: the teams a search finds (name, legal name, RFC or id, accents
    and case aside; 20 at most), or without one the pinned and recent teams."""
    query = request.args.get("q", "")[:100]
    index, _allowed = scope.allowed_index()
    return render_template("shell/_team_options.html", options=context.team_options(index, query))


@bp.post("/team/pin")
@signed_in
def pin():
    """Keep a team in the switcher (up to ``PINNED_LIMIT``), for this staff member."""
    return _pin(True)


@bp.post("/team/unpin")
@signed_in
def unpin():
    """Take a team out of the switcher's pinned ones."""
    return _pin(False)


def _pin(pinned: bool):
    team = scope.find_allowed(request.form.get("team", ""))
    if team is None:
        abort(403, description="team_out_of_scope")
    if editable_current_staff().pin(team.id, pinned):
        db.session.commit()
        record(
            "team.pin" if pinned else "team.unpin",
            team=team.id,
            object_type="team",
            object_id=team.id,
        )
    if is_htmx():  # the menu stays open: its options again, as they are now
        query = request.form.get("q", "")[:100]
        options = context.team_options(scope.allowed_index()[0], query)
        return render_template("shell/_team_options.html", options=options)
    return _back()


@bp.post("/team")
@signed_in
def switch_team():
    """Act on another team from now on; refused (403) outside the staff member's scope."""
    team = scope.find_allowed(request.form.get("team", ""))
    if team is None:
        record(
            "team.switch",
            object_type="team",
            object_id=request.form.get("team", "")[:128],
            outcome="team_out_of_scope",
        )
        abort(403, description="team_out_of_scope")
    current = scope.selected_team()  # the session's, or the default the pages showed
    previous = current.id if current else None
    scope.select(team)
    record(
        "team.switch",
        team=team.id,
        object_type="team",
        object_id=team.id,
        detail=Detail(TEAM_SWITCH, before=previous, after=team.id)
        if previous and previous != team.id
        else None,
    )
    return navigate(
        same_area(safe_next(request.form.get("next")), team.id)
        or url_for("team.show", team_id=team.id)
    )


@bp.post("/account/language")
@signed_in
def set_language():
    """Save the staff member's language (Spanish or English)."""
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.locale != locale:
        editable_current_staff().locale = locale
        db.session.commit()
        record(
            "staff.language",
            object_type="staff",
            object_id=current_user.email,
            detail=Detail(LANGUAGE, language=enum("language", locale)),
        )
    return _back()


TEAM_PAGE = re.compile(r"^/teams/(?P<team>[^/?#]+)/(?P<area>[a-z-]+)?")


def same_area(path: str | None, team_id: str) -> str | None:
    """The chosen team's page of the area ``path`` showed (``/teams/A/series/…`` →
    ``/teams/B/series/``): objects belong to one team, so only the area carries over.
    Pages outside any team (audit, staff, the directory) stay as they are."""
    if not path:
        return None
    match = TEAM_PAGE.match(path)
    if match is None:
        return path
    area = match.group("area")
    if not area:
        return url_for("team.show", team_id=team_id)
    leaf = (
        f"/{area}"
        if path.rstrip("/").endswith(f"/{area}") and not path.endswith("/")
        else f"/{area}/"
    )
    return f"/teams/{team_id}{leaf}"


def _back():
    """Back to the page the form was sent from (a full reload for htmx: everything changes)."""
    return navigate(safe_next(request.form.get("next")) or url_for("shell.home"))


@bp.get("/favicon.ico")
@public
def favicon():
    return current_app.send_static_file("favicon.svg")
