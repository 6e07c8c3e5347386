"""Routes for clients (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/v2")
