"""Members of a team: list with roles, add (by e-mail or user id), change a role, remove.

Roles come from the local catalogue (``team_roles.json``). gigstack answers
``add-member`` for an existing member by changing the role (REFERENCE §7.8).
"""

from __future__ import annotations

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp import catalogs, once
from webapp.api import api, unscoped_api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.forms import BackofficeForm
from webapp.gigstack.errors import Forbidden, NotFound, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page
from webapp.parallel import gather
from webapp.shell import scope

from .details import team_details
from .forms import strip
from .scoped import current_team_id, team_blueprint

bp = team_blueprint("members", __name__, "/members")


def role_choices() -> list[tuple[str, str]]:
    return [(e["code"], e["name"]) for e in catalogs.entries("team_roles")]


class MemberAddForm(BackofficeForm):
    once = HiddenField()
    user = StringField(
        _l("User e-mail or id"),
        filters=[strip],
        validators=[DataRequired(_l("Type the user's e-mail or id.")), Length(max=254)],
    )
    role = SelectField(_l("Role"), choices=role_choices, default="viewer")


class MemberRoleForm(BackofficeForm):
    role = SelectField(_l("Role"), choices=role_choices)


class MemberRemoveForm(BackofficeForm):
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip],
        validators=[DataRequired(_l("Say why the member is removed.")), Length(max=500)],
    )


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
        "role_name": lambda code: (catalogs.get("team_roles", code) or {}).get("name", code),
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
    return render_page("members/page.html", "members/_rows.html", **_context())


LOOKUP_TEAMS = 20  # teams whose users are searched for an e-mail, at most


def find_user_id(text: str) -> str | None:
    """A user id as typed, or the id of the user with that e-mail among the users visible to
    the key: gigstack has no user search, and ``GET /users`` lists one team's members, so the
    key's team and the other teams at hand are asked together (up to ``LOOKUP_TEAMS``)."""
    if "@" not in text:
        return text
    wanted = text.casefold()
    client = unscoped_api()
    team_ids = [None, *[t.id for t in scope.allowed_teams() if t.id != client.key_info.team]]

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
        return form_failed(
            "members/page.html", "members/_add_form.html", "member-form", **_context(add_form=form)
        )
    claim = once.claim(form.once.data)
    if not claim.fresh:
        return once.repeated(claim)
    user_id = find_user_id(form.user.data)
    if user_id is None:
        once.release(form.once.data)
        form.user.errors.append(
            _(
                "No user with this e-mail is visible to the API key. Create "
                "the user first, or type the user's id."
            )
        )
        return form_failed(
            "members/page.html", "members/_add_form.html", "member-form", **_context(add_form=form)
        )
    try:
        api().teams.add_member(current_team_id(), user_id, form.role.data)
    except (ValidationError, NotFound) as error:
        once.release(form.once.data)
        record("member.create", object_type="user", object_id=user_id, outcome=error.code)
        unplaced = apply_api_errors(form, error, {"id": "user"})
        if isinstance(error, NotFound):
            form.user.errors.append(_("gigstack knows no user with this id."))
        return form_failed(
            "members/page.html",
            "members/_add_form.html",
            "member-form",
            error=" ".join(unplaced) or None,
            **_context(add_form=form),
        )
    except Exception:
        once.release(form.once.data)
        raise
    record("member.create", object_type="user", object_id=user_id, reason=f"role: {form.role.data}")
    target = url_for("members.index")
    once.done(form.once.data, target)
    return navigate(target)


@bp.post("/<user_id>/edit")
@requires(Role.OPERATOR)
def edit(user_id: str):
    """Change a member's role. Upstream calls: ``POST /teams/{id}/add-member``."""
    form = MemberRoleForm()
    member = next((m for m in _members() if m.get("id") == user_id), None)
    if member is None:
        abort(404)
    if not form.validate():
        abort(400)
    if form.role.data != member.get("role"):
        try:
            api().teams.add_member(current_team_id(), user_id, form.role.data)
        except ValidationError as error:
            record("member.update", object_type="user", object_id=user_id, outcome=error.code)
            raise
        record(
            "member.update",
            object_type="user",
            object_id=user_id,
            reason=f"role: {member.get('role')} → {form.role.data}",
        )
    return navigate(url_for("members.index"))


@bp.route("/<user_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(user_id: str):
    """Remove with a reason; gigstack refuses the owner (its message shown).
    Upstream calls: ``GET /teams/{id}/members``, ``POST /teams/{id}/remove-member``."""
    member = next((m for m in _members() if m.get("id") == user_id), None)
    if member is None:
        abort(404)
    form = MemberRemoveForm()
    context = {"form": form, "member": member}
    if not form.is_submitted():
        return render_page("members/delete.html", "members/_confirm.html", **context)
    if not form.validate():
        return form_failed(
            "members/delete.html", "members/_confirm.html", "member-delete", **context
        )
    try:
        api().teams.remove_member(current_team_id(), user_id)
    except (Forbidden, ValidationError) as error:
        record(
            "member.delete",
            object_type="user",
            object_id=user_id,
            outcome=error.code,
            reason=form.reason.data,
        )
        return form_failed(
            "members/delete.html",
            "members/_confirm.html",
            "member-delete",
            error=error.message,
            **context,
        )
    record("member.delete", object_type="user", object_id=user_id, reason=form.reason.data)
    return navigate(url_for("members.index"))
