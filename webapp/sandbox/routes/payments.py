"""Routes for payments (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/v2")
