"""Error pages: upstream failures become a clear banner with a retry path, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from webapp.gigstack import (
    CircuitOpen,
    Forbidden,
    GigstackError,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)


def describe_upstream_error(error: GigstackError) -> tuple[int, str, str]:
    """(status for our page, title, explanation) in the operator's language."""
    if isinstance(error, CircuitOpen):
        return 503, "gigstack no responde", (
            "Varias solicitudes seguidas fallaron; esperamos unos segundos antes de volver "
            "a intentar.")
    if isinstance(error, Timeout):
        return 504, "gigstack tardó demasiado", "La solicitud no recibió respuesta a tiempo."
    if isinstance(error, RateLimited):
        wait = f" Intenta de nuevo en {int(error.retry_after)} s." if error.retry_after else ""
        return 429, "Demasiadas solicitudes", "gigstack pidió esperar." + wait
    if isinstance(error, Unavailable):
        return 502, "gigstack no está disponible", (
            "No pudimos comunicarnos con gigstack. Puede ser momentáneo.")
    if isinstance(error, Unauthorized):
        return 502, "Llave de API rechazada", (
            "gigstack rechazó la llave de API configurada. Revisa GIGSTACK_API_KEY.")
    if isinstance(error, Forbidden):
        return 403, "Sin acceso a este equipo", "La llave de API no puede actuar sobre ese equipo."
    if isinstance(error, NotFound):
        return 404, "No encontrado", "gigstack no encontró lo que buscas."
    return 502, "gigstack respondió con un error", error.message


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(GigstackError)
    def upstream_error(error: GigstackError):
        status, title, detail = describe_upstream_error(error)
        log.warning("upstream error on %s %s: %s (%s)", request.method, request.path,
                    type(error).__name__, error.code)
        template = "_partials/upstream_error.html" if getattr(request, "htmx", None) \
            else "errors/upstream.html"
        return render_template(template, title=title, detail=detail, code=error.code,
                               retry_url=request.full_path.rstrip("?")), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_template("errors/http.html", error=error), error.code or 500

    @app.errorhandler(Exception)
    def crash(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_template("errors/http.html", error=None), 500
