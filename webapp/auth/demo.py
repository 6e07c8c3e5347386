"""The demo admin of the sandbox: present on the sandbox, absent with a real API key."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask

from webapp.extensions import db

from .models import Staff, normalize_email
from .roles import Role

log = logging.getLogger(__name__)


def ensure_demo_admin(app: Flask) -> str | None:
    """On the sandbox: make sure the demo admin exists with the configured password.

    Returns the demo email. With a real API key: delete any demo account, return None.
    """
    with app.app_context():
        if app.config.get("GIGSTACK_API_KEY"):
            removed = db.session.execute(sa.delete(Staff).where(Staff.is_demo.is_(True)))
            db.session.commit()
            if removed.rowcount:
                log.warning(
                    "removed %d demo account(s): a real API key is configured", removed.rowcount
                )
            return None
        email = normalize_email(app.config["DEMO_ADMIN_EMAIL"])
        staff = Staff.by_email(email)
        if staff is None:
            staff = Staff(email=email, name="Demo admin", role=Role.ADMIN.value, is_demo=True)
            db.session.add(staff)
        password = app.config["DEMO_ADMIN_PASSWORD"]
        if not staff.password_hash or not staff.check_password(password):
            staff.set_password(password)
        staff.active, staff.is_demo, staff.role = True, True, Role.ADMIN.value
        db.session.commit()
        return email
