"""The views' access to the API client (one per process, built in the factory)."""

from __future__ import annotations

from flask import current_app

from webapp.gigstack import GigstackClient

from .upstream import Upstream


def upstream() -> Upstream:
    return current_app.extensions["gigstack"]


def api() -> GigstackClient:
    """The pooled client of this process."""
    return upstream().client
