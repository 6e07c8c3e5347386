"""Response headers every answer carries, and the proxy settings that make HTTPS visible.

The CSP allows only our own files: no inline script or style, no eval. htmx is configured
by meta tag to match (no eval, no script tags in swapped fragments, no injected styles).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

# form-action and base-uri are not covered by default-src: without them, markup that slipped
# into a page (a fake form, a <base>) could still send what is typed to another site
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def baseline_headers(secure: bool) -> dict[str, str]:
    """The headers every answer carries, pages and static files alike."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.update(baseline_headers(request.is_secure))
    if request.endpoint != "static" and current_user.is_authenticated:
        # pages with a team's data must not stay in shared or back/forward caches
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "Cookie"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def trust_proxy(app: Flask) -> None:
    """Outermost WSGI layer: the router's X-Forwarded-* make HTTPS visible to all inside."""
    hops = int(app.config.get("TRUST_PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
