"""Body-field idempotency keys (REFERENCE §1.12): same key + same body replays the answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response

from .context import caller
from .errors import ApiError, field_error


def idempotent(route: str, body: dict[str, Any], handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per ``idempotency_key`` (scope: team + mode + route).

    Call with the store lock held (every API view is) so two concurrent duplicates cannot
    both create.
    """
    key = body.get("idempotency_key")
    if key is None:
        return handler()
    if not isinstance(key, str) or not key or len(key) > 255:
        raise field_error(
            "invalid_field_value", "idempotency_key", "must be text of 1 to 255 characters"
        )
    who = caller()
    slot = (who.team_id, who.livemode, route, key)
    fingerprint = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    stored = who.store.idempotency.get(slot)
    if stored is not None:
        if stored[0] != fingerprint:
            raise ApiError(
                "resource_conflict",
                "This idempotency_key was already used with a different request body",
            )
        return Response(
            json.dumps(stored[2], ensure_ascii=False), status=stored[1], mimetype="application/json"
        )
    response = handler()
    if response.status_code < 300:
        who.store.idempotency[slot] = (fingerprint, response.status_code, response.get_json())
    return response
