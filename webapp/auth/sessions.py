"""The signed session cookie: what it holds, how long it lives, when it is Secure.

It holds Flask-Login's staff id (with a nonce that sign-out rotates), the selected team, the
CSRF token and two timestamps, and when its staff member last changed a payment or receipt
(:mod:`webapp.sales.counts`) — never an API key. Idle (30 min) and absolute (12 h) limits
are enforced here on the server, not only by the cookie's expiry.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user

from webapp.clock import now_seconds, utcnow
from webapp.extensions import db, login_manager

from .models import Staff

STARTED = "started"
SEEN = "seen"
# "seen" is rewritten at most this often: the idle limit is kept to the minute, and most
# requests leave the cookie as it is (no re-signing, no Set-Cookie)
SEEN_GRANULARITY_SECONDS = 60


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def start(staff: Staff) -> None:
    """Sign ``staff`` in with a brand-new session (nothing carried over from before)."""
    session.clear()
    login_user(staff, remember=False)
    session.permanent = True
    session[STARTED] = session[SEEN] = int(now_seconds())
    staff.last_sign_in_at = utcnow()
    db.session.commit()


def end() -> None:
    """Sign out: this cookie (and any copy of it) stops working."""
    if current_user.is_authenticated:
        editable_current_staff().end_sessions()
        db.session.commit()
    logout_user()
    session.clear()


def editable_current_staff() -> Staff:
    """The signed-in staff member's row, to change it (pins, language, sign-out): read with
    the ORM and made the request's current user, so what the rest of the request shows (the
    switcher's pins) is the row as changed."""
    staff = db.session.get(Staff, current_user.id)
    if staff is None:  # deleted since this request read it
        abort(401)
    login_manager._update_request_context_with_user(staff)  # Flask-Login's own setter
    return staff


def expire_stale() -> None:
    """``before_request``: sign out sessions idle for too long or older than the maximum."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = int(now_seconds())
    started, seen = session.get(STARTED), session.get(SEEN)
    config = current_app.config
    if (
        started is None
        or seen is None
        or now - seen > config["SESSION_IDLE_SECONDS"]
        or now - started > config["SESSION_ABSOLUTE_SECONDS"]
    ):
        logout_user()
        session.clear()
        g.session_expired = True
        return
    if now - seen >= SEEN_GRANULARITY_SECONDS:
        session[SEEN] = now


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_IDLE_SECONDS"]
    # the cookie is sent again only when the session changed (see SEEN_GRANULARITY_SECONDS)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.before_request(expire_stale)
