"""The ``staff`` table: who may sign in to the back office, with which role and teams."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.clock import utcnow
from webapp.dbtypes import UtcDateTime
from webapp.extensions import db

from .roles import ROLES, Role

# teams a staff member may pin in the switcher (it shows them on every page)
PINNED_LIMIT = 10
# verified against when the email is unknown, so both failures take the same time
_DUMMY_HASH: dict[str, str] = {}


def _new_nonce() -> str:
    return secrets.token_hex(16)


class StaffRules(UserMixin):
    """Who a staff member is to Flask-Login and what they may do: the same for the ORM row
    (:class:`Staff`) and for the request's read-only copy (:class:`SignedIn`)."""

    id: int
    role: str
    active: bool
    team_ids: list[str] | None
    session_nonce: str

    def get_id(self) -> str:
        """Flask-Login's id: the staff id plus the session nonce (see :meth:`end_sessions`)."""
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive staff cannot sign in
        return bool(self.active)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def can(self, role: Role) -> bool:
        """True when this staff member's role is ``role`` or above."""
        return self.role_enum.at_least(role)

    @property
    def is_admin(self) -> bool:
        return self.role_enum is Role.ADMIN

    def may_use_team(self, team_id: str | None) -> bool:
        """Limited staff act only on their teams; unlimited staff on any the key reaches."""
        return bool(team_id) and (self.team_ids is None or team_id in self.team_ids)


@dataclass(frozen=True, eq=False)
class SignedIn(StaffRules):
    """The signed-in staff member as each request reads them (``current_user``): their row's
    columns read without the ORM, which every page paid for (a sixth of a page's CPU).
    To change the row, :func:`webapp.auth.sessions.editable_current_staff`."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    team_ids: list[str] | None
    pinned_team_ids: list[str]
    locale: str
    is_demo: bool
    session_nonce: str


class Staff(StaffRules, db.Model):
    """A staff member. ``team_ids`` None means every team the API key reaches."""

    __tablename__ = "staff"
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_staff_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.VIEWER.value)
    active: Mapped[bool] = mapped_column(default=True)
    team_ids: Mapped[list[str] | None] = mapped_column(sa.JSON, nullable=True, default=None)
    # teams kept at hand in the switcher, in the order pinned (at most PINNED_LIMIT)
    pinned_team_ids: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    locale: Mapped[str] = mapped_column(sa.String(8), default="es_MX")
    is_demo: Mapped[bool] = mapped_column(default=False)
    # rotated on sign-out, password reset and deactivation: old session cookies stop working
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=_new_nonce)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    def pin(self, team_id: str, pinned: bool) -> bool:
        """Pin or unpin a team in the switcher; False when nothing changed (already so, or
        ``PINNED_LIMIT`` teams pinned)."""
        current = list(self.pinned_team_ids or [])
        if pinned == (team_id in current) or (pinned and len(current) >= PINNED_LIMIT):
            return False
        self.pinned_team_ids = (
            [*current, team_id] if pinned else [i for i in current if i != team_id]
        )
        return True

    # -- passwords and sessions -------------------------------------------------------------

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued so far (sign-out, reset, deactivation)."""
        self.session_nonce = _new_nonce()

    @classmethod
    def by_email(cls, email: str) -> Staff | None:
        return db.session.scalar(sa.select(cls).where(cls.email == normalize_email(email)))

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.email} {self.role}>"


def teams_text(team_ids: list[str] | None) -> str:
    """A team limit in words for the audit and the CLI: ``all``, ``none`` or comma-separated ids."""
    return "all" if team_ids is None else (",".join(team_ids) or "none")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """Hash with the configured method (PBKDF2-SHA256, 600,000 iterations in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_credentials(email: str, password: str) -> Staff | None:
    """The staff member whose email and password match, else None — in the same time either way.

    Inactive accounts are returned too (the caller explains they are disabled, which is only
    said to someone who knows the password).
    """
    staff = Staff.by_email(email)
    if staff is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("x", method=method))
        check_password_hash(dummy, password)
        return None
    return staff if staff.check_password(password) else None
