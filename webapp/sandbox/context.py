"""Who is calling and on which team: key lookup and gigstack Connect (REFERENCE §1.2, §1.4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, request

from . import events
from .errors import ApiError, not_found
from .keys import KeyRecord, decode_claims
from .store import Store


@dataclass
class Caller:
    """The authenticated key and the team a request acts on."""

    key: KeyRecord
    team_id: str
    store: Store

    @property
    def livemode(self) -> bool:
        return self.key.livemode

    @property
    def team(self) -> dict[str, Any]:
        return self.store.teams[self.team_id]

    def object(self, kind: str, obj_id: str, what: str) -> dict[str, Any]:
        """An object of the target team (and mode); 404 "<what> not found" otherwise."""
        obj = self.store.get(kind, obj_id, self.team_id, self.livemode)
        if obj is None:
            raise not_found(what)
        return obj

    def emit(self, event_type: str, obj: dict[str, Any]) -> None:
        """Queue the webhook event ``event_type`` about ``obj`` for the target team."""
        events.emit(self.store, self.team_id, self.livemode, event_type, obj)

    def drop(self, kind: str, obj: dict[str, Any], event_type: str | None = None) -> None:
        """Hard-delete ``obj`` from ``kind``; then emit ``event_type`` when there is one."""
        self.store.remove(kind, obj["id"])
        if event_type:
            self.emit(event_type, obj)

    def authorize_team(self, team_id: str) -> dict[str, Any]:
        """The team ``team_id`` if this key may act on it; 404 / 403 otherwise."""
        return authorize_team(self.store, self.key, team_id)


def authenticate(store: Store) -> KeyRecord:
    """The key of the request; 401 ``unauthorized`` / ``invalid_token`` otherwise."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiError("unauthorized", "Missing Authorization header")
    token = header[7:].strip() if header[:7].lower() == "bearer " else header
    claims = decode_claims(token)
    record = store.keys.get(str(claims.get("key_id"))) if claims else None
    if record is None or record.revoked or record.token != token:
        raise ApiError("invalid_token", "Invalid API key")
    return record


def authorize_team(store: Store, key: KeyRecord, team_id: str) -> dict[str, Any]:
    """Connect rules: own team always; others only when they share the billing account."""
    target = store.live_team(team_id)
    if target is None:
        raise ApiError("resource_not_found", "Team not found")
    if team_id == key.team:
        return target
    own = store.teams[key.team]
    if not own.get("_connect") or own.get("_billing") != target.get("_billing"):
        raise ApiError("forbidden", "This API key may not act on that team")
    return target


def resolve_caller(store: Store, *, query_team: bool = True) -> Caller:
    """Authenticate and pick the target team from ``?team=`` (default: the key's own).

    ``query_team`` is false on ``/teams`` and ``/teams/{id}/…``, where the path names the
    target and a ``team`` query is ignored (REFERENCE §1.4).
    """
    key = authenticate(store)
    if store.live_team(key.team) is None:
        raise ApiError("invalid_token", "Invalid API key")
    team_id = (request.args.get("team") if query_team else None) or key.team
    authorize_team(store, key, team_id)
    return Caller(key=key, team_id=team_id, store=store)


def caller() -> Caller:
    """The current request's :class:`Caller` (set by the app before each API route)."""
    return g.sandbox_caller
