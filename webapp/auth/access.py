"""Who may reach which view. Every view declares it with one of these decorators.

* :func:`public` — no sign-in (sign-in page, health check, favicon).
* :func:`signed_in` — any signed-in staff member, whatever the role (their own session:
  sign-out, team and language choice).
* :func:`requires` — a minimum role; viewers read, operators change, admins manage staff.
* :func:`reads_only` — beside :func:`requires`: an unsafe request that changes nothing in
  gigstack or in anyone's data (it starts a job that only reads, like the accountant's
  month), so a viewer may send it.

:func:`enforce_sign_in` runs before every request and fails closed: a view that declares
nothing is refused, so a forgotten decorator is a 403 in tests, not an open door.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from webapp.forms import has_forbidden
from webapp.pages import htmx_page_path, is_htmx

from .roles import Role

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "access"
PUBLIC = "public"
SIGNED_IN = "signed_in"
# Flask's own endpoints that serve files
PUBLIC_ENDPOINTS = frozenset({"static"})


def public(view: F) -> F:
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def signed_in(view: F) -> F:
    setattr(view, ACCESS_ATTRIBUTE, SIGNED_IN)
    return view


def requires(role: Role) -> Callable[[F], F]:
    """Allow staff whose role is ``role`` or above; others get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.can(role):
                abort(403, description="role")
            return view(*args, **kwargs)

        setattr(checked, ACCESS_ATTRIBUTE, role)
        return checked  # type: ignore[return-value]

    return decorate


READS_ONLY_ATTRIBUTE = "reads_only"


def reads_only(view: F) -> F:
    """Mark a view whose POST only reads (a read-only job): viewers may send it. Put it
    above :func:`requires`."""
    setattr(view, READS_ONLY_ATTRIBUTE, True)
    return view


def is_reads_only(app: Flask, endpoint: str | None) -> bool:
    """Whether ``endpoint``'s unsafe requests only read (see :func:`reads_only`)."""
    return bool(getattr(app.view_functions.get(endpoint or ""), READS_ONLY_ATTRIBUTE, False))


def access_of(app: Flask, endpoint: str | None) -> Any:
    """What a view declared (``public``, ``signed_in``, a Role), or None."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint or "")
    return getattr(view, ACCESS_ATTRIBUTE, None)


def enforce_sign_in() -> Any:
    """``before_request``: sign-in for everything not public; undeclared views are refused."""
    if request.endpoint is None:  # 404/405: let the error handlers answer
        return None
    access = access_of(current_app, request.endpoint)
    if access == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if access is None:
        abort(403, description="undeclared")
    return None


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or has_forbidden(target) or any(c in target for c in "\r\n\t"):
        return None  # control characters (CR/LF would even split the redirect's header)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def sign_in_url(reason: str | None = None) -> str:
    """Where anonymous visitors go, remembering the page they asked for (GET only)."""
    next_path = htmx_page_path() or (
        request.full_path.rstrip("?") if request.method == "GET" else None
    )
    return url_for("auth.sign_in", next=safe_next(next_path), reason=reason)


def unauthorized_response() -> Any:
    """Anonymous request to a protected view: redirect (HX-Redirect for htmx) to sign-in."""
    reason = "expired" if g.get("session_expired") else None
    target = sign_in_url(reason)
    if is_htmx():
        return "", 401, {"HX-Redirect": target}
    return redirect(target)
