"""Full page or htmx fragment from the same route (DESIGN.md, "Pages and htmx")."""

from __future__ import annotations

from typing import Any

from flask import render_template, request


def render_page(page_template: str, fragment_template: str, **context: Any) -> str:
    """The fragment for htmx requests that target a part of the page; the page otherwise."""
    htmx = getattr(request, "htmx", None)
    if htmx and not getattr(htmx, "boosted", False) and request.headers.get("HX-Target"):
        return render_template(fragment_template, **context)
    return render_template(page_template, **context)
