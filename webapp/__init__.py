"""The gigstack back office: a Flask + htmx dashboard over the gigstack API v2.

``create_app(config=None)`` is the factory (``flask --app webapp`` finds it; gunicorn runs
``webapp:create_app()``). Without ``GIGSTACK_API_KEY`` the app runs on the built-in sandbox.

This module stays light: ``create_app`` is loaded from :mod:`webapp.factory` on first use, so
importing a library subpackage (``webapp.gigstack``, ``webapp.domain``, ``webapp.sat``,
``webapp.catalogs``) or the sandbox loads neither Flask nor the dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .factory import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
