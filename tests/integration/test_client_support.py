"""Shared builders for the client-library integration tests (no tests here).

Every test talks to the real sandbox over HTTP through ``webapp.gigstack``; these helpers only
build request bodies, make throw-away teams and check the plain objects that come back.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from webapp.gigstack import GigstackClient, TeamScope

IVA16 = {"type": "IVA", "rate": 0.16}
ITEM = {
    "description": "Consultoría",
    "unit_price": 1000,
    "product_key": "81111500",
    "unit_key": "E48",
    "taxes": [IVA16],
}

_rng = random.Random()


def unique(prefix: str = "") -> str:
    """A marker no other test (or seed row) contains."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def rfc_moral() -> str:
    """A random, well-formed company RFC (12 characters)."""
    letters = "".join(_rng.choice("ABCDEFGHJKLMNPRSTUVWZ") for _ in range(3))
    suffix = "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(3))
    return (
        f"{letters}{_rng.randint(0, 99):02d}{_rng.randint(1, 12):02d}"
        f"{_rng.randint(1, 28):02d}{suffix}"
    )


def client_body(**over: Any) -> dict[str, Any]:
    """A ClientInput complete enough to invoice and stamp receipts (moral, regime 601)."""
    marker = unique()
    return {
        "name": f"Cliente {marker}",
        "legal_name": f"CLIENTE PRUEBA {marker.upper()}",
        "tax_id": rfc_moral(),
        "tax_system": "601",
        "use": "G03",
        "email": f"{marker}@cliente.example.com",
        "address": {"country": "MEX", "zip": "06600"},
        **over,
    }


def assert_utc(value: Any) -> datetime:
    """``value`` is an aware UTC datetime (not a number, string or naive datetime)."""
    assert isinstance(value, datetime), f"{value!r} is not a datetime"
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    return value


def assert_recent(value: Any) -> datetime:
    """An aware UTC datetime in a plausible range (catches ms read as seconds and back)."""
    moment = assert_utc(value)
    assert datetime(2020, 1, 1, tzinfo=UTC) < moment < datetime(2100, 1, 1, tzinfo=UTC), moment
    return moment


def at(seconds: int) -> datetime:
    """The aware UTC datetime the client should return for Unix ``seconds``."""
    return datetime.fromtimestamp(seconds, tz=UTC)


@contextmanager
def scratch_team(api: GigstackClient, **body: Any) -> Iterator[tuple[dict[str, Any], TeamScope]]:
    """A new Connect sub-team (and a client bound to it); soft-deleted afterwards.

    Deleting keeps the partner's team list short for the rest of the session.
    """
    body.setdefault("brand", {"alias": unique("Integración ")})
    team = api.teams.create(body)
    try:
        yield team, api.for_team(team["id"])
    finally:
        api.teams.delete(team["id"])
