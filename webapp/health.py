"""Probes for the platform: ``/healthz`` (the process answers) and ``/readyz`` (it can work:
its database and gigstack answer within a short timeout). No sign-in, no session, no detail
beyond which dependency failed."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa
from flask import Blueprint, current_app

from webapp.auth.access import public
from webapp.extensions import db
from webapp.parallel import submit

bp = Blueprint("health", __name__)
bp.verbs = ("healthz", "readyz")


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


def _database_answers() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        db.session.remove()


def _gigstack_answers(timeout: float) -> bool:
    return current_app.extensions["gigstack"].client.ping(timeout)


@bp.get("/readyz")
@public
def readyz():
    """Upstream calls: one light gigstack call (``GET /teams?limit=1``), bounded by
    ``READY_TIMEOUT_SECONDS`` together with the database check."""
    timeout = current_app.config["READY_TIMEOUT_SECONDS"]
    gigstack = submit(_gigstack_answers, timeout)
    checks = {"database": _database_answers()}
    try:
        checks["gigstack"] = gigstack.result(timeout=timeout + 0.5)
    except FutureTimeout:
        checks["gigstack"] = False
    ready = all(checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
