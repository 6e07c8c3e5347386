"""What an API key says about itself, read without verifying it.

gigstack keys are JWT-like (``header.payload.signature``); the payload names the owning team,
the mode and a key id (REFERENCE §1.2). The client only needs these to label itself (repr, the
dashboard's test/live badge) and to know the default team, so it decodes and never verifies:
the server is the one that checks signatures.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Claims decoded from an API key. Holds no secret material."""

    team: str | None
    livemode: bool | None
    key_id: str | None
    is_test: bool

    @property
    def is_live(self) -> bool:
        """True only for keys that are not test keys."""
        return not self.is_test


def _b64url_json(segment: str) -> dict[str, Any] | None:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def decode_key(api_key: str) -> KeyInfo:
    """Read ``team``, ``livemode`` and ``key_id`` from a key; unknown parts come back as None.

    Test rule (official CLI): ``livemode`` false, or a ``key_id`` containing ``test``, or a key
    starting ``sk_test``. A key we cannot decode and that matches none of these counts as live,
    the safer label for a key that may move real money.
    """
    key = (api_key or "").strip()
    if key.lower().startswith("bearer "):
        key = key[7:].strip()
    payload: dict[str, Any] | None = None
    parts = key.split(".")
    if len(parts) == 3 and parts[1]:
        payload = _b64url_json(parts[1])
    payload = payload or {}

    team = payload.get("team")
    team = team if isinstance(team, str) and team else None
    livemode = payload.get("livemode")
    livemode = livemode if isinstance(livemode, bool) else None
    key_id = payload.get("key_id")
    key_id = str(key_id) if isinstance(key_id, str | int) and key_id != "" else None

    is_test = (
        livemode is False
        or (key_id is not None and "test" in key_id.lower())
        or key.startswith("sk_test")
    )
    return KeyInfo(team=team, livemode=livemode, key_id=key_id, is_test=is_test)
