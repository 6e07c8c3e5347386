"""The sandbox WSGI app: routing, authentication, Connect, JSON errors, one lock per request.

Every answer is JSON — unknown routes, 405 and 500 included (REFERENCE §1.6, §13 #10).
"""

from __future__ import annotations

import logging
import re
from importlib import import_module
from typing import Any

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from .context import resolve_caller
from .errors import ApiError
from .faults import FaultMiddleware, Faults
from .http import error_response
from .outside import outside_contract
from .store import Clock, Store

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # REFERENCE §1.5
ROUTE_MODULES = (
    "clients",
    "services",
    "invoices",
    "payments",
    "receipts",
    "teams",
    "users",
    "webhooks",
    "files",
)
# /teams and /teams/{id}/…: the path names the target, a ``team`` query is ignored (§1.4).
_PATH_TARGET = re.compile(r"^/v2/teams(/(?!integrations(/|$))[^/]+(/.*)?)?/?$")


class SandboxFlask(Flask):
    """Flask app that serialises API views on the store lock (state stays consistent)."""

    def dispatch_request(self) -> Any:  # type: ignore[override]
        with self.config["SANDBOX_STORE"].lock:
            return super().dispatch_request()


def create_sandbox_app(
    store: Store | None = None,
    *,
    test_mode: bool = False,
    scale: int = 1,
    teams: int = 0,
    seed_data: bool = True,
) -> SandboxFlask:
    """Build the simulator; ``app.wsgi_app`` is wrapped in fault injection."""
    from .seed import seed

    app = SandboxFlask(__name__)
    if store is None:
        store = Store(clock=Clock())
        if seed_data:
            seed(store, scale=scale, teams=teams)
    app.config.update(
        SANDBOX_STORE=store,
        SANDBOX_TEST_MODE=test_mode,
        SANDBOX_SCALE=scale,
        SANDBOX_TEAMS=teams,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.url_map.strict_slashes = False

    @app.before_request
    def _authenticate() -> None:
        if request.path.startswith("/v2/") or request.path == "/v2":
            query_team = not _PATH_TARGET.match(request.path)
            with store.lock:
                g.sandbox_caller = resolve_caller(store, query_team=query_team)

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code == 404 or (
            error.code == 405 and outside_contract(request.method, request.path)
        ):
            return error_response(ApiError("resource_not_found", "Route not found"))
        if error.code == 405:
            allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
            return error_response(
                ApiError(
                    "operation_not_allowed",
                    f"Method {request.method} not allowed on this path",
                    status=405,
                    headers={"Allow": allowed},
                )
            )
        if error.code == 413:
            return error_response(
                ApiError("file_upload_error", "The request is larger than the 6 MiB limit")
            )
        if error.code == 400:
            return error_response(ApiError("invalid_request_body", "Malformed request"))
        return error_response(
            ApiError(
                "internal_server_error", error.description or "Error", status=error.code or 500
            )
        )

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        log.exception("sandbox error on %s %s", request.method, request.path)
        return error_response(
            ApiError("internal_server_error", "Internal server error", status=500)
        )

    for name in ROUTE_MODULES:
        module = import_module(f".routes.{name}", __package__)
        app.register_blueprint(module.bp)
    if test_mode:
        from .routes import control

        app.register_blueprint(control.bp)

    app.wsgi_app = FaultMiddleware(app.wsgi_app, Faults.from_env())  # type: ignore[method-assign]
    app.extensions["sandbox_faults"] = app.wsgi_app
    return app
