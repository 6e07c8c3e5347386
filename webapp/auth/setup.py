"""Wiring of sign-in into the app: Flask-Login, the session rules, the blueprint, the CLI."""

from __future__ import annotations

from dataclasses import fields
from functools import cache

import sqlalchemy as sa
from flask import Flask, current_app

from webapp.extensions import csrf, db, login_manager

from . import sessions
from .access import enforce_sign_in, unauthorized_response
from .models import SignedIn, Staff


@cache
def _signed_in_row() -> sa.Select:
    """The columns of :class:`SignedIn` of the staff row ``id``: built once, read as a plain
    row (no ORM entity, no statement built per request)."""
    table = Staff.__table__
    columns = [table.c[field.name] for field in fields(SignedIn)]
    return sa.select(*columns).where(table.c.id == sa.bindparam("id"))


def load_staff(session_id: str) -> SignedIn | None:
    """Flask-Login's loader: ``<id>:<nonce>``; a rotated nonce or a disabled account is nobody."""
    staff_id, _, nonce = (session_id or "").partition(":")
    if not staff_id.isdigit() or not nonce:
        return None
    row = db.session.execute(_signed_in_row(), {"id": int(staff_id)}).first()
    # end the read's transaction now: the connection is not held while the page waits on
    # gigstack (seconds, with 16 threads a worker)
    db.session.commit()
    if row is None or row.session_nonce != nonce or not row.active:
        return None
    if row.is_demo and current_app.config.get("GIGSTACK_API_KEY"):
        return None  # demo accounts exist for the sandbox only
    return SignedIn(**row._mapping)


def protect_csrf() -> None:
    """``before_request`` after the sign-in check: every unsafe request needs a valid token."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect(apply_exemptions=True)


def init_app(app: Flask) -> None:
    from .cli import staff_cli
    from .routes import bp

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_staff)
    login_manager.unauthorized_handler(unauthorized_response)
    sessions.init_app(app)  # before enforce_sign_in: an expired session is anonymous
    app.before_request(enforce_sign_in)
    app.before_request(protect_csrf)
    app.register_blueprint(bp)
    app.cli.add_command(staff_cli)
