"""Fixtures shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.sandbox import events
from webapp.sandbox.store import public


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
