"""Sign-in and sign-out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from webapp.audit import record
from webapp.extensions import limiter
from webapp.i18n import gettext as _

from . import sessions
from .access import public, safe_next, signed_in
from .forms import SignInForm
from .models import Staff, normalize_email, verify_credentials

bp = Blueprint("auth", __name__)
bp.verbs = ("sign_in", "sign_out")
bp.object = None  # sign-in: its actions are the session's

FAILED = 401  # status of a re-rendered sign-in form after wrong credentials


def _sign_in_limits() -> str:
    return current_app.config["SIGN_IN_LIMITS"]


def _submitted_account() -> str:
    """Rate-limit key per account: the email as typed (normalised), whether it exists or not."""
    return "account:" + normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    """Only failed attempts count: an office signing in together is never throttled."""
    return response.status_code == FAILED


def _demo_allowed(staff: Staff) -> bool:
    """A demo account (sandbox only) never signs in while a real API key is configured."""
    return not (staff.is_demo and current_app.config.get("GIGSTACK_API_KEY"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_sign_in_limits, methods=["POST"], key_func=get_remote_address, deduct_when=_failed)
@limiter.limit(_sign_in_limits, methods=["POST"], key_func=_submitted_account, deduct_when=_failed)
def sign_in():
    """Same message for an unknown email and a wrong password; the email typed is kept."""
    next_path = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("shell.home"))
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        staff = verify_credentials(form.email.data, form.password.data)
        if staff is None or not _demo_allowed(staff):
            error = _("Wrong email or password.")
            # filed under the account the email names (if any): its owner and admins see it
            record(
                "auth.sign_in",
                actor=normalize_email(form.email.data),
                staff=staff or Staff.by_email(form.email.data),
                outcome="invalid_credentials",
            )
            status = FAILED
        elif not staff.active:
            error = _("This account is disabled. Ask an administrator to enable it again.")
            record("auth.sign_in", staff=staff, outcome="account_disabled")
            status = 403
        else:
            sessions.start(staff)
            record("auth.sign_in", staff=staff)
            return redirect(next_path or url_for("shell.home"))
    elif form.is_submitted():
        status = 400
    return _sign_in_page(form, error, status)


def _sign_in_page(form: SignInForm, error: str | None, status: int):
    form.password.data = ""
    return render_template(
        "auth/sign_in.html",
        form=form,
        error=error,
        next_path=safe_next(request.values.get("next")),
        reason=request.args.get("reason"),
    ), status


def throttled_sign_in():
    """429 on sign-in: the form again, with the email typed and a clear wait message."""
    form = SignInForm(meta={"csrf": False})
    return _sign_in_page(form, _("Too many sign-in attempts. Wait a minute and try again."), 429)


def expired_sign_in_form():
    """A missing or stale CSRF token on sign-in: the form again, fresh token, email kept."""
    form = SignInForm(meta={"csrf": False})
    return _sign_in_page(form, _("The page had expired. Send the form again."), 400)


@bp.post("/sign-out")
@signed_in
def sign_out():
    record("auth.sign_out")
    sessions.end()
    return redirect(url_for("auth.sign_in", reason="signed_out"))
