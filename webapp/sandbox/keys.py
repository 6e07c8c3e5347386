"""API keys as the contract describes them: unsigned JWTs carrying team, livemode, key_id.

The sandbox issues keys of the shape ``header.payload.`` (empty signature, REFERENCE §1.2)
and accepts only keys it issued, looked up by ``key_id``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

_HEADER = {"alg": "none", "typ": "JWT"}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_key(team: str, livemode: bool, key_id: str) -> str:
    """Encode a key for ``team`` in the given mode."""
    payload = {"team": team, "livemode": livemode, "key_id": key_id}
    return f"{_b64(_HEADER)}.{_b64(payload)}."


def decode_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT-shaped key, or None when it is not one. Never verifies."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    return claims


@dataclass
class KeyRecord:
    """A key the sandbox issued."""

    name: str
    key_id: str
    team: str
    livemode: bool
    token: str
    revoked: bool = False
