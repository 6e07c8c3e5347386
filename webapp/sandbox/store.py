"""The sandbox's state: teams, users, keys and every object, in memory, behind one lock.

Objects are stored in their public (output) shape; bookkeeping the API never shows lives in
keys starting with ``_`` and is stripped by :func:`public`. Mode-scoped kinds (clients,
services, invoices, payments, receipts) are partitioned by ``(team, livemode)``; shared kinds
(webhooks) by team only (REFERENCE §1.3).
"""

from __future__ import annotations

import copy
import random
import secrets
import string
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .keys import KeyRecord

MODE_SCOPED = frozenset({"clients", "services", "invoices", "payments", "receipts"})
SHARED = frozenset({"webhooks"})
KINDS = MODE_SCOPED | SHARED

_ID_ALPHABET = string.ascii_letters + string.digits


class Clock:
    """Wall clock that tests can freeze or shift (CSD validity, receipt expiry, timestamps)."""

    def __init__(self, fixed: float | None = None) -> None:
        self.fixed = fixed
        self.offset = 0.0

    def time(self) -> float:
        return (self.fixed if self.fixed is not None else time.time()) + self.offset

    def now(self) -> int:
        """Unix seconds."""
        return int(self.time())

    def now_ms(self) -> int:
        return int(self.time() * 1000)


@dataclass
class Store:
    """Everything the sandbox knows. Hold :attr:`lock` while reading or changing it."""

    clock: Clock = field(default_factory=Clock)
    seed: int = 20260101
    lock: threading.RLock = field(default_factory=threading.RLock)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # kind -> id -> object (ids are globally unique; invoices keyed by upper-case uuid)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # (kind, team, livemode|None) -> id -> object, in insertion order
    scoped: dict[tuple[str, str, bool | None], dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # (team, livemode, route, key) -> (fingerprint, status, payload)
    idempotency: dict[tuple[str, bool, str, str], tuple[str, int, dict[str, Any]]] = field(
        default_factory=dict
    )
    file_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._sequence = 0

    # ids -----------------------------------------------------------------------------
    def new_id(self, prefix: str, length: int = 14) -> str:
        """A fresh opaque id such as ``client_Ab3…`` (deterministic for a given seed)."""
        while True:
            candidate = prefix + "".join(self.rng.choice(_ID_ALPHABET) for _ in range(length))
            if not self._id_taken(candidate):
                return candidate

    def new_uuid(self) -> str:
        """A fiscal UUID, upper case, 8-4-4-4-12 (REFERENCE §1.11)."""
        raw = f"{self.rng.getrandbits(128):032X}"
        value = f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-A{raw[17:20]}-{raw[20:]}"
        return value if value not in self.objects["invoices"] else self.new_uuid()

    def _id_taken(self, candidate: str) -> bool:
        if candidate in self.teams or candidate in self.users:
            return True
        return any(candidate in objs for objs in self.objects.values())

    # objects ---------------------------------------------------------------------------
    @staticmethod
    def scope_key(kind: str, team: str, livemode: bool | None) -> tuple[str, str, bool | None]:
        return (kind, team, livemode if kind in MODE_SCOPED else None)

    def add(self, kind: str, obj_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object; ``obj`` carries ``team`` (or private ``_team`` when the output
        schema has no team field) and ``livemode`` if mode-scoped."""
        assert kind in KINDS, kind
        self._sequence += 1
        obj.setdefault("_seq", self._sequence)  # insertion order breaks created_at ties
        self.objects[kind][obj_id] = obj
        self.scoped[self.scope_key(kind, team_of(obj), obj.get("livemode"))][obj_id] = obj
        return obj

    def get(
        self, kind: str, obj_id: str, team: str, livemode: bool | None = None
    ) -> dict[str, Any] | None:
        """The object if it exists *in this team and mode*; None otherwise (→ 404)."""
        if not obj_id:
            return None
        return self.scoped.get(self.scope_key(kind, team, livemode), {}).get(obj_id)

    def all(self, kind: str, team: str, livemode: bool | None = None) -> list[dict[str, Any]]:
        """Every object of a kind in one team and mode, oldest first."""
        return list(self.scoped.get(self.scope_key(kind, team, livemode), {}).values())

    def remove(self, kind: str, obj_id: str) -> None:
        obj = self.objects[kind].pop(obj_id, None)
        if obj is not None:
            self.scoped[self.scope_key(kind, team_of(obj), obj.get("livemode"))].pop(obj_id, None)

    # teams -----------------------------------------------------------------------------
    def live_team(self, team_id: str) -> dict[str, Any] | None:
        """A team that exists and is not deleted."""
        team = self.teams.get(team_id)
        if team is None or team.get("_deleted"):
            return None
        return team

    def key_by_name(self, name: str) -> KeyRecord:
        for record in self.keys.values():
            if record.name == name:
                return record
        raise KeyError(name)


def team_of(obj: dict[str, Any]) -> str:
    return obj.get("_team") or obj["team"]


def settle(obj: dict[str, Any]) -> dict[str, Any]:
    """Fill the fields an object computes late, once: ``_on_read`` is a function that completes
    what is costly and rarely read (an invoice's seal), so seeding thousands stays fast."""
    finish = obj.pop("_on_read", None)
    if finish is not None:
        finish(obj)
    return obj


def public(obj: Any) -> Any:
    """A deep copy of ``obj`` without the sandbox's private ``_`` keys (settled first)."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in settle(obj).items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return copy.copy(obj)
