"""Users (people with roles in teams): REFERENCE §8."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Item, Resource, seg


class Users(Resource):
    """``/users``: list, iter, get, create, update, reset_password, login_link (no delete)."""

    path = "/users"

    def create(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Create (and optionally ``auto_join``) a user; returns ``invitation_sent``."""
        return self._call("POST", "/users", team=team, json=dict(data))

    def update(self, id: str, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Partial update of names, phone, job title, address."""
        return self._call("PUT", f"/users/{seg(id)}", team=team, json=dict(data))

    def reset_password(self, email: str, *, team: str | None = None) -> Item:
        """Send a password-reset e-mail; returns ``{email}``."""
        return self._call("POST", "/users/reset-password", team=team, json={"email": email})

    def login_link(self, user_id: str, *, team: str | None = None) -> Item:
        """One-off sign-in link ``{url, expires_at}`` — a bearer credential: show once."""
        return self._call("POST", "/users/login-link", team=team, json={"user_id": user_id})
