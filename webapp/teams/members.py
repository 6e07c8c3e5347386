"""Members of a team: list with roles, add (by e-mail or user id), change a role, remove.

Roles come from the local catalogue (``team_roles.json``). gigstack answers
``add-member`` for an existing member by changing the role (REFERENCE §7.8).
"""

from __future__ import annotations

from itertools import islice

from flask import abort, url_for

from webapp import once
from webapp.actions import (
    Screen,
    confirmation,
    one_or_404,
    perform,
    refused_with_message,
    verb_screen,
)
from webapp.api import api, unscoped_api
from webapp.audit import Detail, enum
from webapp.audit.details import CREATED_WITH_ROLE, ROLE_CHANGED
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Forbidden, NotFound, ValidationError
from webapp.i18n import gettext as _
from webapp.labels import label
from webapp.pages import apply_api_errors, navigate, render_page
from webapp.parallel import gather
from webapp.shell import scope

from .details import team_details
from .forms import MemberAddForm, MemberRemoveForm, MemberRoleForm, role_choices
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("members", __name__, "/members")

PAGE = Screen("teams/members/page.html", "teams/members/_add_form.html", "member-form")
DELETE = verb_screen("teams/members/_confirm.html", "member-delete")
LOOKUP_TEAMS = 20  # teams whose users are searched for an e-mail, at most


def _members() -> list[dict]:
    return list(api().teams.members(current_team_id()))


def _context(**extra):
    client, team_id = api(), current_team_id()
    members, team = gather(
        lambda: list(client.teams.members(team_id)), lambda: team_details(client, team_id)
    )
    return {
        "rows": members,
        "owner": team.get("owner"),
        "role_name": lambda code: label("role", code),
        "role_choices": role_choices(),
        "add_form": extra.pop("add_form", None) or _fresh_add_form(),
        **extra,
    }


def _fresh_add_form() -> MemberAddForm:
    form = MemberAddForm(formdata=None)
    form.once.data = once.issue()
    return form


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls, at once: ``GET /teams/{id}/members`` (all in one page),
    ``GET /teams/{id}`` (cached 30 s, for the owner)."""
    return render_page("teams/members/page.html", "teams/members/_rows.html", **_context())


def find_user_id(text: str) -> str | None:
    """A user id as typed, or the id of the user with that e-mail among the users visible to
    the key: gigstack has no user search, and ``GET /users`` lists one team's members, so the
    key's team and the other teams at hand are asked together (up to ``LOOKUP_TEAMS``)."""
    if "@" not in text:
        return text
    wanted = text.casefold()
    client = unscoped_api()
    others = (t.id for t in scope.allowed_teams() if t.id != client.key_info.team)
    team_ids = [None, *islice(others, LOOKUP_TEAMS - 1)]

    def lookup(team_id: str | None) -> str | None:
        users = (
            client.users.iter(limit=100, team=team_id) if team_id else client.users.iter(limit=100)
        )
        return next(
            (u.get("id") for u in users if (u.get("email") or "").casefold() == wanted), None
        )

    found = gather(
        *[lambda team_id=team_id: lookup(team_id) for team_id in team_ids[:LOOKUP_TEAMS]]
    )
    return next((user_id for user_id in found if user_id), None)


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``GET /users`` of the teams at hand, together (only for an e-mail),
    then ``POST /teams/{id}/add-member``."""
    form = MemberAddForm()
    if not form.is_submitted():
        return navigate(url_for("members.index"))
    if not form.validate():
        return PAGE.failed(**_context(add_form=form))
    user_id = find_user_id(form.user.data)
    if user_id is None:
        form.user.errors.append(
            _(
                "No user with this e-mail is visible to the API key. Create "
                "the user first, or type the user's id."
            )
        )
        return PAGE.failed(**_context(add_form=form))
    return perform(
        form,
        lambda: api().teams.add_member(current_team_id(), user_id, form.role.data),
        screen=PAGE,
        context=lambda: _context(add_form=form),
        validate=False,
        audit="member.create",
        object_id=user_id,
        detail=Detail(CREATED_WITH_ROLE, role=enum("role", form.role.data)),
        refusals=(ValidationError, NotFound),
        refused=_unknown_user,
        message=confirmation(
            _("%(name)s is now a member of this team (%(role)s)."),
            form.user.data,
            url_for("users.show", user_id=user_id),
            role=label("role", form.role.data),
        ),
        then=url_for("members.index"),
    )


def _unknown_user(form: MemberAddForm, error: GigstackError) -> list[str]:
    unplaced = apply_api_errors(form, error, {"id": "user"})
    if isinstance(error, NotFound):
        form.user.errors.append(_("gigstack knows no user with this id."))
    return unplaced


@bp.post("/<user_id>/edit")
@requires(Role.OPERATOR)
def edit(user_id: str):
    """Change a member's role. Upstream calls: ``GET /teams/{id}/members``,
    ``POST /teams/{id}/add-member``."""
    form = MemberRoleForm()
    member = one_or_404(_members(), user_id)
    if not form.validate():
        abort(400)
    if form.role.data == member.get("role"):
        return navigate(url_for("members.index"))
    return perform(
        form,
        lambda: api().teams.add_member(current_team_id(), user_id, form.role.data),
        screen=PAGE,
        validate=False,
        audit="member.update",
        object_id=user_id,
        detail=Detail(
            ROLE_CHANGED,
            before=enum("role", member.get("role")),
            after=enum("role", form.role.data),
        ),
        refusals=(),
        message=confirmation(
            _("%(name)s is now %(role)s of this team."),
            member.get("email") or user_id,
            url_for("users.show", user_id=user_id),
            role=label("role", form.role.data),
        ),
        then=url_for("members.index"),
    )


@bp.route("/<user_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(user_id: str):
    """Remove with a reason; gigstack refuses the owner (its message shown).
    Upstream calls: ``GET /teams/{id}/members``, ``POST /teams/{id}/remove-member``."""
    member = one_or_404(_members(), user_id)
    form = MemberRemoveForm()
    context = {"member": member, "title": _("Remove member")}
    return perform(
        form,
        lambda: api().teams.remove_member(current_team_id(), user_id),
        screen=DELETE,
        context=context,
        audit="member.delete",
        object_id=user_id,
        refusals=(Forbidden, ValidationError),
        refused=refused_with_message,
        message=confirmation(
            _("%(name)s was removed from this team."),
            member.get("email") or user_id,
            url_for("users.show", user_id=user_id),
        ),
        then=url_for("members.index"),
    )
