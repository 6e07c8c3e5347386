"""Routes for receipts (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("receipts", __name__, url_prefix="/v2")
