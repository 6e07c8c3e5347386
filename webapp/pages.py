"""Full page or htmx fragment from the same route (DESIGN.md, "Pages and htmx")."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, render_template, request


def render_page(page_template: str, fragment_template: str, **context: Any) -> str:
    """The fragment for htmx requests that target a part of the page; the page otherwise."""
    htmx = getattr(request, "htmx", None)
    if htmx and not getattr(htmx, "boosted", False) and request.headers.get("HX-Target"):
        return render_template(fragment_template, **context)
    return render_template(page_template, **context)


def htmx_page_path() -> str | None:
    """For an htmx request: path and query of the page that sent it (unchecked), else None."""
    current = request.headers.get("HX-Current-URL") if request.headers.get("HX-Request") \
        else None
    if not current:
        return None
    parts = urlsplit(current)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def navigate(target: str):
    """After a change, load ``target`` as a whole page: a redirect, or ``HX-Redirect`` for htmx."""
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
