"""Logging to stdout: one JSON object a line (production, for the platform's log drain) or
readable text (development), each record stamped with the request id."""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from webapp.observability import RequestIdFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"}, timestamp="time")
    return logging.Formatter(TEXT_FORMAT)


def handler(kind: str) -> logging.Handler:
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(formatter(kind))
    stream.addFilter(RequestIdFilter())
    return stream


def configure(kind: str, level: str = "INFO") -> None:
    """Route every logger (gunicorn's included) to one stdout handler of ``kind``."""
    root = logging.getLogger()
    root.handlers[:] = [handler(kind)]
    root.setLevel(level.upper())
    for name in ("gunicorn.error", "gunicorn.access", "werkzeug"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    # the app logs each request itself (webapp.access, with its id): not the dev server too
    logging.getLogger("werkzeug").setLevel("WARNING")


def gunicorn_logconfig(kind: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its own messages in the same format on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": {"()": formatter, "kind": kind}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "main",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
