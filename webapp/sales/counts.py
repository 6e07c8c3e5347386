"""The status tabs' counts of the payments and receipts lists, kept for a minute per team.

Counting a list's tabs costs one ``limit=1`` call per status (4–7 calls), more than the list
itself. The counts are a derived copy kept ``TTL_SECONDS`` in the app's cache (per process,
or shared through Redis) under the key's mode, the team, the list and its filters. Any change
this dashboard makes to a team's payments or receipts starts a new generation of that team's
counts in the cache, and marks the session of who made it: the next list counts again and
shows it — for them on any process, for everyone when the cache is shared. A change made
elsewhere (an automation, a client paying its link) shows within a minute. Counts that expire
are counted once per process, however many requests miss them at the same time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, request, session

from webapp import cache
from webapp.clock import now_seconds
from webapp.gigstack import GigstackError
from webapp.observability import time_left
from webapp.parallel import gather
from webapp.teams.scoped import current_team_id

TTL_SECONDS = 60
GENERATION_SECONDS = 24 * 60 * 60  # far longer than any count is kept
UNCHANGING = frozenset({"GET", "HEAD", "OPTIONS"})
CHANGED_AT = "sales_changed_at"  # in the session: when its staff member last changed a sale


def _team_key() -> str:
    info = current_app.extensions["gigstack"].key_info
    mode = "live" if info.is_live else "test"
    return f"{info.key_id or info.team}:{mode}:{current_team_id()}"


def _keys(filters: Mapping[str, Any]) -> tuple[str, str]:
    """The team's generation key and this list's counts key (its filters hashed)."""
    team = _team_key()
    signature = "&".join(f"{k}={filters[k]}" for k in sorted(filters))
    digest = hashlib.sha256(signature.encode()).hexdigest()[:16]
    return f"sales-counts-generation:{team}", f"sales-counts:{team}:{request.blueprint}:{digest}"


def tab_counts(
    statuses: list[str], count: Callable[[str], int | None], filters: Mapping[str, Any]
) -> list[int | None]:
    """One count per status (None for one that failed): the copy of this team's current
    generation, counted after this session's last change, when there is one (one cache read,
    no call); else ``count`` for each status at once, shared by the requests that miss it
    together."""
    generation_key, key = _keys(filters)
    generation, entry = cache.get_many(generation_key, key)
    changed_at = session.get(CHANGED_AT, 0)
    if _current(entry, generation, changed_at):
        return list(entry[2])

    def counted() -> tuple[Any, float, list[int | None]]:
        again = cache.get(key)  # another request may have counted meanwhile
        if _current(again, generation, changed_at):
            return again
        started = now_seconds()
        counts = gather(*[lambda code=code: _quiet(count, code) for code in statuses])
        if None not in counts:
            cache.put(key, (generation, started, counts), TTL_SECONDS)
        return generation, started, counts

    try:
        entry = cache.single_flight(f"{key}:{generation}", counted, wait=time_left() or 10)
    except cache.FlightTimeout:
        return [None] * len(statuses)
    if entry[1] < changed_at:  # joined a count begun before this session's change
        entry = counted()
    return list(entry[2])


def _current(entry: Any, generation: Any, changed_at: float) -> bool:
    """Counted in the team's current generation, after this session's last change."""
    return (
        isinstance(entry, tuple)
        and len(entry) == 3
        and entry[0] == generation
        and entry[1] >= changed_at
    )


def _quiet(count: Callable[[str], int | None], code: str) -> int | None:
    try:
        return count(code)
    except GigstackError:  # a count that fails shows none; the list still loads
        return None


def changed() -> None:
    """The dashboard changed this team's payments or receipts: count them again."""
    generation_key, _key = _keys({})
    cache.put(generation_key, secrets.token_hex(8), GENERATION_SECONDS)
    session[CHANGED_AT] = now_seconds()


def recount_after_changes(bp: Blueprint) -> None:
    """Every request of ``bp`` that may change something (not a GET) starts a new generation
    of the team's counts, whatever its outcome: a create that timed out may have been made."""

    @bp.after_request
    def _recount(response: Response) -> Response:
        if request.method not in UNCHANGING and "selected_team" in g:
            changed()
        return response
