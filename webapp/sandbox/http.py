"""Response envelopes and request-body parsing per the contract (REFERENCE §1.5, §1.6)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, current_app, request

from .errors import ApiError
from .paging import ListParams, paginate
from .store import public
from .validation import Checker


def _json_response(payload: dict[str, Any], status: int, headers: dict[str, str] | None = None):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_style_b() -> bool:
    """GET /teams and every /webhooks route add ``success`` + ``timestamp`` (REFERENCE §1.6)."""
    path = request.path.rstrip("/")
    if path.startswith("/v2/webhooks"):
        return True
    return path == "/v2/teams" and request.method == "GET"


def _decorate(payload: dict[str, Any], success: bool) -> dict[str, Any]:
    if is_style_b():
        payload = {"success": success, **payload}
        payload["timestamp"] = current_app.config["SANDBOX_STORE"].clock.now_ms()
    return payload


def single(data: Any, message: str, status: int = 200) -> Response:
    """``{message, data}`` — ``data`` passes through :func:`public`."""
    return _json_response(_decorate({"message": message, "data": public(data)}, True), status)


def created(data: Any, message: str) -> Response:
    """201 for every create (REFERENCE §13 #40)."""
    return single(data, message, status=201)


def deleted(obj: dict[str, Any], message: str) -> Response:
    """The answer to a delete: ``{id, deleted: true}``."""
    return single({"id": obj["id"], "deleted": True}, message)


def _listing(items: list[Any], has_more: bool, total: int, cursor: str | None, message: str):
    """``{message, data[], has_more, total_results, next?}`` — ``next`` only with more."""
    payload: dict[str, Any] = {
        "message": message,
        "data": [public(item) for item in items],
        "has_more": has_more,
        "total_results": total,
    }
    if has_more and cursor:
        payload["next"] = cursor
    return _json_response(_decorate(payload, True), 200)


def paged(
    items: Iterable[dict[str, Any]],
    params: ListParams,
    message: str,
    show: Callable[[dict[str, Any]], Any] | None = None,
    **how: Any,
) -> Response:
    """One page of ``items`` (:func:`paginate` with ``how``), each shown through ``show``."""
    page, has_more, total, cursor = paginate(items, params, **how)
    shown = page if show is None else [show(item) for item in page]
    return _listing(shown, has_more, total, cursor, message)


def listed(items: list[Any], message: str, limit: int | None = None) -> Response:
    """A list served whole, or its first ``limit`` with ``has_more`` but never ``next``."""
    shown = items if limit is None else items[:limit]
    return _listing(shown, len(shown) < len(items), len(items), None, message)


def error_response(error: ApiError) -> Response:
    return _json_response(_decorate(error.body(), False), error.status, error.headers)


def checked_body() -> tuple[dict[str, Any], Checker]:
    """The request's JSON object (:func:`json_body`) and a fresh :class:`Checker` for it."""
    return json_body(), Checker()


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` (REFERENCE §1.5).

    Anything that is not a JSON object with a JSON content type is 400 invalid_request_body.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if request.method == "PUT":  # an update that names nothing to change is a mistake
            raise ApiError(
                "invalid_request_body", "A PUT needs a JSON object with the fields to change"
            )
        return {}
    if not request.mimetype or request.mimetype != "application/json":
        raise ApiError(
            "invalid_request_body", "The request body must be JSON (Content-Type: application/json)"
        )
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_request_body", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_request_body", "The request body must be a JSON object")
    return body
