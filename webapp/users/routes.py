"""Users of a team (REFERENCE §8): list, detail, create, edit, password reset, login link.

A login link is a bearer credential: made only on an explicit POST, shown once, audited
without its URL, never cached or logged.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from flask import render_template, request, url_for

from webapp import once
from webapp.actions import Screen, changed_reason, confirmation, get_or_404, page_or_walk, perform
from webapp.api import api
from webapp.audit import Detail, enum
from webapp.audit.details import CREATED_WITH_ROLE, LINK_SHOWN
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.labels import label
from webapp.pages import apply_api_errors, navigate, render_page
from webapp.teams.scoped import current_team_id, team_blueprint
from webapp.teams.team_index import fold

from .forms import UserCreateForm, UserEditForm, UserFilterForm, edit_data

bp = team_blueprint("users", __name__, "/users", verbs=("reset_password", "login_link"))

PAGE_SIZE = 25
MEMBERSHIPS_SHOWN = 20  # a user's teams listed on their page
SEARCH_LIMIT = 1000  # users walked when searching or filtering (teams have far fewer)
BY_NAME = {"order_by": "name", "sort": "asc"}
API_FIELDS = {"firstName": "first_name", "lastName": "last_name"}
NEW = Screen("users/new.html", "users/_form.html", "user-form")
EDIT = Screen("users/edit.html", "users/_edit_form.html", "user-form")
NOTICE = Screen("users/show.html", "users/_notice.html", "user-notice")
NO_STORE = {"Cache-Control": "no-store"}


def role_name(code: str | None) -> str:
    return label("role", code)


def _matcher(form: UserFilterForm):
    """The search (accents and case aside, as every search) and role filter as a test of one
    user (None: no filter, one page)."""
    query = "" if form.q.errors else fold(form.q.data or "")
    role = form.role.data or ""
    if not query and not role:
        return None

    def matches(user: dict[str, Any]) -> bool:
        text = fold(f"{user.get('name') or ''} {user.get('email') or ''}")
        return (not query or query in text) and (not role or user.get("role") == role)

    return matches


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /users?team=`` one page (cursor in the URL); with a search or a
    role filter, every page of the team's users (filtered here: the API has no user search)."""
    form = UserFilterForm(request.args)
    form.validate()
    rows, total, links = page_or_walk(
        api().users, _matcher(form), page_size=PAGE_SIZE, most=SEARCH_LIMIT, **BY_NAME
    )
    return render_page(
        "users/page.html",
        "users/_rows.html",
        form=form,
        rows=rows,
        total=total,
        links=links,
        role_name=role_name,
    )


@bp.get("/<user_id>")
@requires(Role.VIEWER)
def show(user_id: str):
    """Upstream calls: ``GET /users/{id}?team=``. A partner's owner belongs to every team
    (thousands): this team first, then the first of the others, and how many more."""
    user = get_or_404(api().users.get, user_id)
    team_id = current_team_id()
    teams = user.get("teams") or []
    # this team's membership first, then the first others: no sort of thousands
    own = [m for m in teams if m.get("team_id") == team_id]
    others = (m for m in teams if m.get("team_id") != team_id)
    shown = own + list(islice(others, max(0, MEMBERSHIPS_SHOWN - len(own))))
    return render_template(
        "users/show.html",
        user=user,
        role_name=role_name,
        memberships=shown,
        more_memberships=max(0, len(teams) - len(shown)),
    )


def _create_refused(form: UserCreateForm, error: GigstackError) -> list[str]:
    """A registered e-mail is said on its field; the rest where gigstack's paths say."""
    if isinstance(error, Conflict):
        form.email.errors.append(_("A gigstack user with this e-mail already exists."))
        return []
    return apply_api_errors(form, error, API_FIELDS)


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /users?team=``; a registered e-mail is said on its field."""
    form = UserCreateForm()
    if not form.is_submitted():
        form.once.data = once.issue()
        return NEW.show(form=form)
    return perform(
        form,
        lambda: api().users.create(form.payload()),
        screen=NEW,
        audit="user.create",
        object_id=lambda user: user.get("id"),
        failed_id=form.email.data,
        reason=lambda user: user.get("email"),
        detail=Detail(CREATED_WITH_ROLE, role=enum("role", form.role.data))
        if form.auto_join.data
        else None,
        refusals=(ValidationError, Conflict),
        refused=_create_refused,
        message=lambda user: confirmation(
            _("User %(name)s created."),
            user.get("email") or form.email.data,
            url_for("users.show", user_id=user["id"]),
        ),
        then=lambda user: url_for("users.show", user_id=user["id"]),
    )


@bp.route("/<user_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(user_id: str):
    """Upstream calls: ``GET /users/{id}``; on save ``PUT /users/{id}`` (changed fields)."""
    user = get_or_404(api().users.get, user_id)
    form = UserEditForm(data=edit_data(user))
    if not form.is_submitted():
        return EDIT.show(form=form, user=user)
    if not form.validate():
        return EDIT.failed(form=form, user=user)
    payload = form.payload(user)
    if not payload:
        return navigate(url_for("users.show", user_id=user_id))
    return perform(
        form,
        lambda: api().users.update(user_id, payload),
        screen=EDIT,
        context={"user": user},
        validate=False,
        audit="user.update",
        object_id=user_id,
        detail=changed_reason(payload),
        refused=lambda form, error: apply_api_errors(form, error, API_FIELDS) or [error.message],
        message=confirmation(
            _("User %(name)s saved."), user.get("email"), url_for("users.show", user_id=user_id)
        ),
        then=url_for("users.show", user_id=user_id),
    )


@bp.post("/<user_id>/reset-password")
@requires(Role.OPERATOR)
def reset_password(user_id: str):
    """Upstream calls: ``GET /users/{id}``, ``POST /users/reset-password``; shows only that
    the e-mail was sent."""
    user = get_or_404(api().users.get, user_id)
    return perform(
        None,
        lambda: api().users.reset_password(user["email"]),
        screen=NOTICE,
        audit="user.reset_password",
        object_id=user_id,
        refusals=(),
        message=confirmation(
            _("A password-reset e-mail was sent to %(name)s."),
            user["email"],
            url_for("users.show", user_id=user_id),
        ),
        then=lambda _sent: (NOTICE.show(**_shown(user)), 200),
    )


@bp.post("/<user_id>/login-link")
@requires(Role.OPERATOR)
def login_link(user_id: str):
    """Upstream calls: ``GET /users/{id}``, ``POST /users/login-link``. Shown once; the audit
    says a link was made, never the link."""
    user = get_or_404(api().users.get, user_id)
    return perform(
        None,
        lambda: api().users.login_link(user_id),
        screen=NOTICE,
        audit="user.login_link",
        object_id=user_id,
        detail=Detail(LINK_SHOWN),
        refusals=(),
        message=confirmation(
            _("A login link for %(name)s was made: it is shown once, below."),
            user["email"],
            url_for("users.show", user_id=user_id),
        ),
        then=lambda link: (
            render_page("users/show.html", "users/_login_link.html", **_shown(user, link=link)),
            200,
            NO_STORE,
        ),
    )


def _shown(user: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"user": user, "role_name": role_name, **extra}
