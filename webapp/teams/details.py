"""One team's details (``GET /teams/{id}``), reused for a short while across pages and
processes: every page of a team shows them, and they change only when someone edits the team
(the dashboard's own edits forget the copy at once)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from webapp import cache

TTL_SECONDS = 30


def _key(team_id: str) -> str:
    info = current_app.extensions["gigstack"].key_info
    return f"team:{info.key_id or info.team}:{team_id}"


def team_details(client: Any, team_id: str) -> dict[str, Any]:
    """Upstream calls: ``GET /teams/{id}`` when no copy younger than ``TTL_SECONDS`` exists."""
    return cache.remember(_key(team_id), TTL_SECONDS, lambda: client.teams.get(team_id))


def team_name(team: dict[str, Any]) -> str:
    """What a message calls a team: its alias, else its legal name, else its id."""
    return team.get("alias") or team.get("legal_name") or team.get("id") or ""


def forget_team(team_id: str) -> None:
    """After the dashboard changed the team: the next page asks gigstack again."""
    cache.forget(_key(team_id))


def forget_everywhere(team_id: str) -> None:
    """After the dashboard changed the team: its details and the cached team list (the
    directory and the switcher) are asked for again."""
    from .team_list import directory

    forget_team(team_id)
    directory().forget()
