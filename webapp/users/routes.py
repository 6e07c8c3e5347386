"""Users of a team (REFERENCE §8): list, detail, create, edit, password reset, login link.

A login link is a bearer credential: made only on an explicit POST, shown once, audited
without its URL, never cached or logged.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from webapp import catalogs, once
from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, NotFound, ValidationError
from webapp.pages import apply_api_errors, form_failed, list_url, navigate, render_page
from webapp.teams.scoped import team_blueprint

from .forms import UserCreateForm, UserEditForm, UserFilterForm, edit_data

bp = team_blueprint("users", __name__, "/users")

PAGE_SIZE = 25
SEARCH_LIMIT = 1000  # users walked when searching or filtering (teams have far fewer)


def role_name(code: str | None) -> str:
    return (catalogs.get("team_roles", code or "") or {}).get("name", code or "—")


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /users?team=`` one page (cursor in the URL); with a search or a
    role filter, every page of the team's users (filtered here: the API has no user search)."""
    form = UserFilterForm(request.args)
    form.validate()
    query = "" if form.q.errors else (form.q.data or "").casefold()
    role = form.role.data or ""
    cursor = request.args.get("next") or None
    if query or role:
        rows = []
        for user in api().users.iter(limit=100, order_by="name", sort="asc"):
            text = f"{user.get('name') or ''} {user.get('email') or ''}".casefold()
            if (not query or query in text) and (not role or user.get("role") == role):
                rows.append(user)
            if len(rows) >= SEARCH_LIMIT:
                break
        total, links = len(rows), {"first": None, "next": None}
    else:
        page = api().users.list(limit=PAGE_SIZE, next=cursor, order_by="name", sort="asc")
        rows, total = list(page), page.total_results
        links = {
            "first": list_url("next") if cursor else None,
            "next": list_url("next", page.next) if page.has_more and page.next else None,
        }
    return render_page(
        "users/page.html",
        "users/_rows.html",
        form=form,
        rows=rows,
        total=total,
        links=links,
        role_name=role_name,
    )


def _user_or_404(user_id: str) -> dict:
    try:
        return api().users.get(user_id)
    except NotFound:
        abort(404)


@bp.get("/<user_id>")
@requires(Role.VIEWER)
def show(user_id: str):
    """Upstream calls: ``GET /users/{id}?team=``."""
    return render_template("users/show.html", user=_user_or_404(user_id), role_name=role_name)


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /users?team=``; a registered e-mail is said on its field."""
    form = UserCreateForm()
    if not form.is_submitted():
        form.once.data = once.issue()
        return render_page("users/new.html", "users/_form.html", form=form)
    if not form.validate():
        return form_failed("users/new.html", "users/_form.html", "user-form", form=form)
    claim = once.claim(form.once.data)
    if not claim.fresh:
        return once.repeated(claim)
    try:
        user = api().users.create(form.payload())
    except (ValidationError, Conflict) as error:
        once.release(form.once.data)
        record("user.create", object_type="user", object_id=form.email.data, outcome=error.code)
        if isinstance(error, Conflict):
            form.email.errors.append(_("A gigstack user with this e-mail already exists."))
            unplaced = []
        else:
            unplaced = apply_api_errors(
                form, error, {"firstName": "first_name", "lastName": "last_name"}
            )
        return form_failed(
            "users/new.html",
            "users/_form.html",
            "user-form",
            form=form,
            error=" ".join(unplaced) or None,
        )
    except GigstackError:
        once.release(form.once.data)
        raise
    record(
        "user.create",
        object_type="user",
        object_id=user.get("id"),
        reason=f"{user.get('email')}; role: {form.role.data}"
        if form.auto_join.data
        else user.get("email"),
    )
    target = url_for("users.show", user_id=user["id"])
    once.done(form.once.data, target)
    return navigate(target)


@bp.route("/<user_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(user_id: str):
    """Upstream calls: ``GET /users/{id}``; on save ``PUT /users/{id}`` (changed fields)."""
    user = _user_or_404(user_id)
    form = UserEditForm(data=edit_data(user))
    context = {"form": form, "user": user}
    if not form.is_submitted():
        return render_page("users/edit.html", "users/_edit_form.html", **context)
    if not form.validate():
        return form_failed("users/edit.html", "users/_edit_form.html", "user-form", **context)
    payload = form.payload(user)
    if payload:
        try:
            api().users.update(user_id, payload)
        except ValidationError as error:
            record("user.update", object_type="user", object_id=user_id, outcome=error.code)
            unplaced = apply_api_errors(
                form, error, {"firstName": "first_name", "lastName": "last_name"}
            )
            return form_failed(
                "users/edit.html",
                "users/_edit_form.html",
                "user-form",
                error=" ".join(unplaced) or error.message,
                **context,
            )
        record(
            "user.update",
            object_type="user",
            object_id=user_id,
            reason="changed: " + ", ".join(sorted(payload)),
        )
    return navigate(url_for("users.show", user_id=user_id))


@bp.post("/<user_id>/reset-password")
@requires(Role.OPERATOR)
def reset_password(user_id: str):
    """Upstream calls: ``GET /users/{id}``, ``POST /users/reset-password``; shows only that
    the e-mail was sent."""
    user = _user_or_404(user_id)
    try:
        api().users.reset_password(user["email"])
    except GigstackError as error:
        record("user.reset_password", object_type="user", object_id=user_id, outcome=error.code)
        raise
    record("user.reset_password", object_type="user", object_id=user_id)
    return render_page(
        "users/show.html",
        "users/_notice.html",
        user=user,
        role_name=role_name,
        notice=_("A password-reset e-mail was sent to %(email)s.", email=user["email"]),
    )


@bp.post("/<user_id>/login-link")
@requires(Role.OPERATOR)
def login_link(user_id: str):
    """Upstream calls: ``GET /users/{id}``, ``POST /users/login-link``. Shown once; the audit
    says a link was made, never the link."""
    user = _user_or_404(user_id)
    try:
        link = api().users.login_link(user_id)
    except GigstackError as error:
        record("user.login_link", object_type="user", object_id=user_id, outcome=error.code)
        raise
    record("user.login_link", object_type="user", object_id=user_id, reason="link shown once")
    body = render_page(
        "users/show.html", "users/_login_link.html", user=user, role_name=role_name, link=link
    )
    return body, 200, {"Cache-Control": "no-store"}
