"""Routes for teams (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/v2")
