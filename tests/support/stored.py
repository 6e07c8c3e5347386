"""What the sandbox has stored, read straight from its store (not through the API): for tests
that check what an action left behind, or pick seeded data to act on.

The ``stored`` fixture (``tests/conftest.py``) is a :class:`StoredState` on the session's
sandbox. Every read holds the store's lock and returns copies, so a test never sees an object
half-way through a change nor changes the sandbox by accident; tests that *arrange* state
change ``sandbox.store`` directly, under its lock.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from webapp.sandbox.store import Store

Test = Callable[[dict[str, Any]], bool]


def _matches(obj: dict[str, Any], test: Test | None, where: dict[str, Any]) -> bool:
    return all(obj.get(k) == v for k, v in where.items()) and (test is None or test(obj))


class StoredState:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(
        self, kind: str, team: str, *, live: bool = False, test: Test | None = None, **where: Any
    ) -> list[dict[str, Any]]:
        """The team's stored objects of ``kind`` (clients, services, invoices, payments,
        receipts, webhooks) in test mode (``live=True``: live), oldest first, each equal to
        ``where`` on those keys and passing ``test``."""
        with self.store.lock:
            found = [o for o in self.store.all(kind, team, live) if _matches(o, test, where)]
            return copy.deepcopy(found)

    def one(
        self, kind: str, team: str, *, live: bool = False, test: Test | None = None, **where: Any
    ) -> dict[str, Any]:
        """The first (oldest) of :meth:`__call__`'s objects; there must be one."""
        found = self(kind, team, live=live, test=test, **where)
        assert found, f"the sandbox stores no {kind} of {team} with {where}"
        return found[0]

    def team(self, team_id: str) -> dict[str, Any]:
        """The stored team (deleted ones too)."""
        with self.store.lock:
            return copy.deepcopy(self.store.teams[team_id])

    def has_team(self, team_id: str) -> bool:
        with self.store.lock:
            return team_id in self.store.teams

    def teams(self, *, test: Test | None = None, **where: Any) -> list[dict[str, Any]]:
        with self.store.lock:
            found = [t for t in self.store.teams.values() if _matches(t, test, where)]
            return copy.deepcopy(found)

    def series(self, team_id: str, **where: Any) -> list[dict[str, Any]]:
        """The team's invoice series, in order."""
        with self.store.lock:
            found = [s for s in self.store.series.get(team_id, []) if _matches(s, None, where)]
            return copy.deepcopy(found)

    def users(self, *, test: Test | None = None, **where: Any) -> list[dict[str, Any]]:
        with self.store.lock:
            found = [u for u in self.store.users.values() if _matches(u, test, where)]
            return copy.deepcopy(found)
