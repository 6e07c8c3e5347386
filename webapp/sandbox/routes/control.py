"""Sandbox-only control endpoints (test mode only): faults, requests, clock, reset, deliveries,
keys."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..faults import Faults
from ..server import demo_keys
from ..store import Store

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _store() -> Store:
    return current_app.config["SANDBOX_STORE"]


def _bad(message: str, status: int = 400):
    return jsonify({"message": message, "error": "invalid_field_value", "details": []}), status


@bp.get("/faults")
def get_faults():
    return jsonify(current_app.extensions["sandbox_faults"].faults.to_dict())


@bp.put("/faults")
def set_faults():
    try:
        faults = Faults.from_dict(request.get_json(force=True, silent=True))
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    current_app.extensions["sandbox_faults"].set(faults)
    return jsonify(faults.to_dict())


@bp.delete("/faults")
def clear_faults():
    current_app.extensions["sandbox_faults"].set(Faults())
    return jsonify(Faults().to_dict())


@bp.get("/requests")
def requests_answered():
    """How many API and file requests the sandbox has taken since it started (benches)."""
    return jsonify({"requests": current_app.extensions["sandbox_faults"].requests})


@bp.route("/clock", methods=["GET", "PUT"])
def clock():
    """PUT ``{"now": <unix s> | null}`` freezes (or unfreezes) the sandbox clock."""
    store = _store()
    if request.method == "PUT":
        body = request.get_json(force=True, silent=True) or {}
        now = body.get("now")
        if now is not None and (isinstance(now, bool) or not isinstance(now, int | float)):
            return _bad("now must be a Unix time in seconds or null")
        store.clock.fixed = float(now) if now is not None else None
    return jsonify({"now": store.clock.now(), "frozen": store.clock.fixed is not None})


@bp.post("/reset")
def reset():
    """Throw all state away and seed again (same data as a fresh start)."""
    from ..seed import seed

    store = _store()
    with store.lock:
        fresh = Store(clock=store.clock, seed=store.seed)
        for name, value in vars(fresh).items():
            if name != "lock":
                setattr(store, name, value)
        seed(
            store,
            scale=current_app.config.get("SANDBOX_SCALE", 1),
            teams=current_app.config.get("SANDBOX_TEAMS", 0),
        )
    return jsonify({"message": "Sandbox reset"})


@bp.route("/deliveries", methods=["GET", "DELETE"])
def deliveries():
    store = _store()
    with store.lock:
        if request.method == "DELETE":
            store.deliveries.clear()
        return jsonify(list(store.deliveries))


@bp.get("/keys")
def keys():
    return jsonify(demo_keys(_store()))
