"""Fixtures shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.sandbox import events
from webapp.sandbox.store import public


def assert_api_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The response is the contract's error envelope with this status, code (and field)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    if field is not None:
        assert field in [d["field"] for d in body["details"]], body
    return body


@pytest.fixture
def emitted(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    """Every event the sandbox fires during the test, as (type, object at that moment)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    real = events.emit

    def record(store, team_id, livemode, event_type, obj):
        seen.append((event_type, public(obj)))
        return real(store, team_id, livemode, event_type, obj)

    monkeypatch.setattr(events, "emit", record)
    return seen
