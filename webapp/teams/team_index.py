"""One version of the team list with what pages ask of it, worked out once per version.

At thousands of teams, a page must not walk the list calling Python per team: the switcher's
search, the directory's tabs, counts and sorts read what is here instead. Built once per
process for each version of the list (:class:`~webapp.teams.team_list.TeamDirectory` keeps
it); the CSD tabs depend on the day, so they are worked out again only when the clock passes
the next CSD deadline of any team.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .readiness import DAY, EXPIRY_WARNING_DAYS, csd_state, missing_fiscal_data

if TYPE_CHECKING:
    from .team_list import TeamChoice


def fold(text: str) -> str:
    """Text as search compares it: without accents (é → e, ñ → n), any case, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_key(team: TeamChoice) -> str:
    """What a search looks in: name, legal name, RFC and id (one line each)."""
    return fold("\n".join((team.name, team.legal_name, team.tax_id))) + "\n" + team.id.casefold()


@dataclass(frozen=True)
class Groups:
    """Teams (by position in the list) per tab of the directory, true between two instants:
    a CSD moves from valid to expiring 30 days before it expires, and to expired when it does."""

    tabs: dict[str, frozenset[int]]
    valid_from: float
    valid_until: float


# a tab of the directory from the sets the index keeps (every set is of positions)
TAB_RULES: dict[str, Callable[[dict[str, frozenset[int]]], frozenset[int]]] = {
    "all": lambda s: s["everyone"],
    "ready": lambda s: (s["csd:ok"] & s["with_series"]) - s["fiscal_missing"],
    "missing-csd": lambda s: s["csd:missing"] | s["csd:expired"],
    "expiring": lambda s: s["csd:expiring"],
    "missing-fiscal": lambda s: s["fiscal_missing"],
}


class TeamIndex:
    """The teams in the list's order (by name) with their search keys, positions by id, the
    directory's tabs and sort orders. Shared by every request of the process: read only."""

    def __init__(self, teams: Iterable[TeamChoice], version: str) -> None:
        self.teams: tuple[TeamChoice, ...] = tuple(teams)
        self.version = version
        self.ids: tuple[str, ...] = tuple(team.id for team in self.teams)
        self.position = {team.id: at for at, team in enumerate(self.teams)}
        self.names = {team.id: team.name for team in self.teams}
        self.keys = [search_key(team) for team in self.teams]
        self._sets = {
            "everyone": frozenset(range(len(self.teams))),
            "with_series": frozenset(i for i, t in enumerate(self.teams) if t.default_series),
            "fiscal_missing": frozenset(
                i
                for i, t in enumerate(self.teams)
                if missing_fiscal_data(t.legal_name, t.tax_id, t.tax_system, t.zip)
            ),
        }
        self._groups: Groups | None = None
        self._orders: dict[str, tuple[int, ...]] = {}
        self._by_rfc: dict[str, tuple[TeamChoice, ...]] | None = None

    def __len__(self) -> int:
        return len(self.teams)

    def get(self, team_id: str | None) -> TeamChoice | None:
        at = self.position.get(team_id or "")
        return None if at is None else self.teams[at]

    def with_rfc(self, rfc: str) -> tuple[TeamChoice, ...]:
        """The teams whose RFC is ``rfc`` (upper case), in the list's order: the map is made
        on first use, once per version of the list."""
        if self._by_rfc is None:
            by_rfc: dict[str, list[TeamChoice]] = {}
            for team in self.teams:
                if team.tax_id:
                    by_rfc.setdefault(team.tax_id.upper(), []).append(team)
            self._by_rfc = {key: tuple(found) for key, found in by_rfc.items()}
        return self._by_rfc.get(rfc.upper(), ())

    def positions(self, team_ids: Iterable[str]) -> list[int]:
        """The positions of the teams of ``team_ids`` the list has, in the list's order."""
        return sorted({self.position[i] for i in team_ids if i in self.position})

    def search(self, query: str, within: Sequence[int] | None = None) -> list[int] | None:
        """Positions (in order) of the teams ``query`` finds, among ``within`` (None: all).
        None when there is nothing to filter (no query, every team)."""
        needle = fold(query)
        if not needle:
            return None if within is None else list(within)
        keys = self.keys
        if within is None:
            return [at for at, key in enumerate(keys) if needle in key]
        return [at for at in within if needle in keys[at]]

    def tabs(self, now: float) -> dict[str, frozenset[int]]:
        """The directory's tabs at ``now`` (worked out again only past a CSD deadline)."""
        groups = self._groups
        if groups is None or not groups.valid_from < now <= groups.valid_until:
            groups = self._groups = self._group(now)
        return groups.tabs

    def _group(self, now: float) -> Groups:
        sets = dict(self._sets)
        by_status: dict[str, set[int]] = {
            s: set() for s in ("missing", "expired", "expiring", "ok")
        }
        before, after = -math.inf, math.inf
        for at, team in enumerate(self.teams):
            by_status[csd_state(team.csd_completed, team.csd_expires_at, now).status].add(at)
            if team.csd_completed and team.csd_expires_at is not None:
                # the same deadlines csd_state applies: 30 days before expiry, and expiry
                for moment in (
                    team.csd_expires_at - EXPIRY_WARNING_DAYS * DAY,
                    team.csd_expires_at,
                ):
                    if moment >= now:
                        after = min(after, moment)
                    else:
                        before = max(before, moment)
        sets |= {f"csd:{status}": frozenset(members) for status, members in by_status.items()}
        tabs = {name: rule(sets) for name, rule in TAB_RULES.items()}
        return Groups(tabs, valid_from=before, valid_until=after)

    def order(
        self, name: str, key: Callable[[TeamChoice], object], reverse: bool
    ) -> tuple[int, ...]:
        """Positions sorted by ``key`` (worked out once per sort ``name``)."""
        if name not in self._orders:
            teams = self.teams
            self._orders[name] = tuple(
                sorted(range(len(teams)), key=lambda at: key(teams[at]), reverse=reverse)
            )
        return self._orders[name]
