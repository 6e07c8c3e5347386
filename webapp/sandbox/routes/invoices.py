"""Routes for invoices (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("invoices", __name__, url_prefix="/v2")
