"""Routes for webhooks (REFERENCE.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/v2")
