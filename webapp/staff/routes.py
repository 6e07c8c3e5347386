"""Staff management for admins: list, create, edit (role, teams, active) and set a password.

The same rules as ``flask staff …`` (webapp/auth/cli.py) and the same audit actions where they
overlap. Passwords go to ``Staff.set_password`` only: never to the audit, the log or a page.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from webapp.audit import Detail, enum, record
from webapp.audit.details import (
    ROLE_CHANGED,
    SESSIONS_ENDED,
    STAFF_ACTIVE,
    STAFF_CHANGED,
    STAFF_CREATED,
    STAFF_NAME,
    STAFF_TEAMS,
    team_limit,
)
from webapp.auth.access import requires
from webapp.auth.models import Staff, normalize_email
from webapp.auth.roles import ROLES, Role
from webapp.extensions import db
from webapp.forms import MAX_ID
from webapp.i18n import gettext as _
from webapp.pages import form_failed, navigate, render_page
from webapp.teams.team_index import TeamIndex
from webapp.teams.team_list import TeamChoice, directory

from .forms import SOME_TEAMS, PasswordForm, StaffCreateForm, StaffEditForm, StaffFilterForm

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.verbs = ("reset_password", "team_options")
# teams the staff form's picker offers for a search ("N more" beyond)
PICKS = 20


# -- helpers ------------------------------------------------------------------------------


def _team_index() -> TeamIndex | None:
    """The list of teams the key reaches, if one is at hand: staff pages never wait on
    gigstack (they work without it)."""
    index = directory().index_without_waiting()
    if index is None:
        log.warning("staff pages: team list unavailable")
    return index


def _label(team: TeamChoice) -> str:
    return f"{team.name} · {team.tax_id}" if team.tax_id else team.name


def _offer_teams(form: Any, index: TeamIndex | None, current: list[str] | None) -> None:
    """The teams the form carries: those chosen (sent, or the account's) that the key
    reaches, and the account's own even when the key no longer lists them. Never the whole
    list (thousands of teams): more are found with the picker's search."""
    wanted = form.teams.data if form.is_submitted() else current
    kept = set(current or [])
    choices = []
    for team_id in dict.fromkeys(wanted or []):
        team = index.get(team_id) if index is not None else None
        if team is not None:
            choices.append(SelectChoice(team.id, _label(team)))
        elif team_id in kept:
            choices.append(SelectChoice(team_id))
    form.teams.choices = choices


def _to_list():
    """After a change: back to the list (a full navigation for htmx, the menu may change)."""
    return navigate(url_for("staff.index"))


def _staff_or_404(staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def other_active_admins(staff: Staff) -> int:
    """Active admins besides ``staff`` who can sign in (demo ones only on the sandbox)."""
    query = (
        sa.select(sa.func.count())
        .select_from(Staff)
        .where(Staff.role == Role.ADMIN.value, Staff.active.is_(True), Staff.id != staff.id)
    )
    if current_app.config.get("GIGSTACK_API_KEY"):
        query = query.where(Staff.is_demo.is_(False))
    return db.session.scalar(query) or 0


def protection_errors(staff: Staff, role: str, active: bool, actor_id: int) -> dict[str, list]:
    """Field errors for changes that would lock admins out: self-demotion, self-deactivation
    and removing the last active admin. Empty when the change is allowed."""
    demoting = staff.role == Role.ADMIN.value and role != Role.ADMIN.value
    deactivating = staff.active and not active
    errors: dict[str, list] = {}
    if staff.id == actor_id:
        if demoting:
            errors.setdefault("role", []).append(
                _("You cannot remove your own administrator role. Ask another administrator.")
            )
        if deactivating:
            errors.setdefault("active", []).append(
                _("You cannot deactivate your own account. Ask another administrator.")
            )
    removes_admin = staff.role == Role.ADMIN.value and staff.active and (demoting or deactivating)
    if removes_admin and other_active_admins(staff) == 0:
        errors.setdefault("role" if demoting else "active", []).append(
            _(
                "This is the last active administrator. Make another staff member an "
                "administrator first."
            )
        )
    return errors


def _edit_data(staff: Staff) -> dict[str, Any]:
    return {
        "name": staff.name,
        "role": staff.role,
        "active": staff.active,
        "teams_mode": "all" if staff.team_ids is None else SOME_TEAMS,
        "teams": list(staff.team_ids or []),
    }


def _edit_context(
    staff: Staff, form: StaffEditForm | None = None, password_form: PasswordForm | None = None
) -> dict[str, Any]:
    index = _team_index()
    if form is None:
        form = StaffEditForm(formdata=None, data=_edit_data(staff))
    if password_form is None:
        password_form = PasswordForm(formdata=None)
    _offer_teams(form, index, staff.team_ids)
    teams_ok = index is not None
    return {"staff": staff, "form": form, "teams_ok": teams_ok, "password_form": password_form}


# -- views --------------------------------------------------------------------------------


@bp.get("/")
@requires(Role.ADMIN)
def index():
    """Everyone who may sign in (or could again); filters live in the URL."""
    filters = StaffFilterForm(request.args)
    filters.validate()  # a refused value is said next to its field and not searched for
    query = sa.select(Staff).order_by(sa.func.lower(Staff.name), Staff.email)
    text = "" if filters.q.errors else (filters.q.data or "").strip()
    if text:
        pattern = (
            "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            sa.or_(
                sa.func.lower(Staff.name).like(pattern, escape="\\"),
                Staff.email.like(pattern, escape="\\"),
            )
        )
    if filters.role.data in ROLES:
        query = query.where(Staff.role == filters.role.data)
    rows = db.session.scalars(query).all()
    index = _team_index()
    return render_page(
        "staff/page.html",
        "staff/_rows.html",
        rows=rows,
        filters=filters,
        team_names=index.names if index is not None else {},
        teams_ok=index is not None,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def new():
    """A new account with its first password; a repeated email is a field error."""
    form = StaffCreateForm()
    index = _team_index()
    _offer_teams(form, index, None)
    teams_ok = index is not None
    if form.validate_on_submit():
        staff = _create(form)
        if staff is not None:
            record(
                "staff.create",
                object_type="staff",
                object_id=staff.email,
                detail=Detail(
                    STAFF_CREATED,
                    role=enum("staff_role", staff.role),
                    teams=team_limit(staff.team_ids),
                ),
            )
            flash(_("%(email)s can now sign in.", email=staff.email), "info")
            return _to_list()
    context = {"form": form, "teams_ok": teams_ok}
    if form.is_submitted():
        return form_failed("staff/new.html", "staff/_form.html", "staff-form", **context)
    return render_page("staff/new.html", "staff/_form.html", **context)


def _create(form: StaffCreateForm) -> Staff | None:
    """Insert the account, or add the email error if it exists (also when two requests race)."""
    email = normalize_email(form.email.data)
    taken = _("A staff member with this email already exists.")
    if Staff.by_email(email) is not None:
        form.email.errors = [*form.email.errors, taken]
        return None
    staff = Staff(email=email, name=form.name.data, role=form.role.data, team_ids=form.team_ids())
    staff.set_password(form.password.data)
    db.session.add(staff)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.email.errors = [*form.email.errors, taken]
        return None
    return staff


@bp.get("/teams")
@requires(Role.ADMIN)
def team_options():
    """The staff form's team picker (htmx): the teams a search for ``team_search`` finds
    (name, legal name, RFC or id, accents and case aside; 20 at most), or with ``pick`` the
    box that adds that team to the form (none when the form has it: ``teams``). From the
    cached team list."""
    index = directory().index()
    pick = request.args.get("pick")
    if pick is not None:
        team = index.get(pick)
        if team is None:
            abort(404)
        if pick in request.args.getlist("teams"):
            return "", 204
        return render_template("staff/_chosen_team.html", value=team.id, label=_label(team))
    query = request.args.get("team_search", "")[:100]
    found = (index.search(query) or []) if query.strip() else []
    return render_template(
        "staff/_team_options.html",
        teams=[index.teams[at] for at in found[:PICKS]],
        more=max(0, len(found) - PICKS),
        query=query,
    )


@bp.route(f"/<int(max={MAX_ID}):staff_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit(staff_id: int):
    """Name, role, team limits and the active flag; deactivating ends the account's sessions."""
    staff = _staff_or_404(staff_id)
    form = StaffEditForm(data=_edit_data(staff))
    context = _edit_context(staff, form=form)
    if not form.validate_on_submit():
        if form.is_submitted():
            return form_failed("staff/edit.html", "staff/_edit_form.html", "staff-form", **context)
        return render_page("staff/edit.html", "staff/_edit_form.html", **context)
    errors = protection_errors(staff, form.role.data, form.active.data, current_user.id)
    if errors:
        for name, messages in errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, *messages]
        return form_failed("staff/edit.html", "staff/_edit_form.html", "staff-form", **context)
    changes = _apply(staff, form)
    db.session.commit()
    if changes:
        record(
            "staff.update",
            object_type="staff",
            object_id=staff.email,
            detail=Detail(STAFF_CHANGED, changes=changes),
        )
        flash(_("Changes to %(email)s saved.", email=staff.email), "info")
    return _to_list()


def _apply(staff: Staff, form: StaffEditForm) -> list[Detail]:
    """Copy the form onto ``staff``; what changed, as the audit detail reads it."""
    changes = []
    name, role, active, team_ids = form.name.data, form.role.data, form.active.data, form.team_ids()
    if name != staff.name:
        changes.append(Detail(STAFF_NAME, before=staff.name, after=name))
        staff.name = name
    if role != staff.role:
        changes.append(
            Detail(
                ROLE_CHANGED, before=enum("staff_role", staff.role), after=enum("staff_role", role)
            )
        )
        staff.role = role
    if _limits_differ(team_ids, staff.team_ids):
        changes.append(
            Detail(STAFF_TEAMS, before=team_limit(staff.team_ids), after=team_limit(team_ids))
        )
        staff.team_ids = team_ids
    if active != staff.active:
        changes.append(
            Detail(STAFF_ACTIVE, before=enum("yes_no", staff.active), after=enum("yes_no", active))
        )
        staff.active = active
        if not active:
            staff.end_sessions()
            changes.append(Detail(SESSIONS_ENDED))
    return changes


def _limits_differ(new: list[str] | None, old: list[str] | None) -> bool:
    """Order does not matter: the same teams saved again are not a change."""
    if new is None or old is None:
        return new is not old
    return set(new) != set(old)


@bp.post(f"/<int(max={MAX_ID}):staff_id>/password")
@requires(Role.ADMIN)
def reset_password(staff_id: int):
    """A new password typed twice; every session of the account ends."""
    staff = _staff_or_404(staff_id)
    password_form = PasswordForm()
    password_form.password_email = staff.email
    if password_form.validate_on_submit():
        staff.set_password(password_form.password.data)
        db.session.commit()
        record(
            "staff.reset_password",
            object_type="staff",
            object_id=staff.email,
            detail=Detail(SESSIONS_ENDED),
        )
        flash(
            _("Password of %(email)s changed; their sessions were ended.", email=staff.email),
            "info",
        )
        return _to_list()
    context = _edit_context(staff, password_form=password_form)
    return form_failed("staff/edit.html", "staff/_password_form.html", "password-form", **context)
