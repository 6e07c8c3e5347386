"""Pointing gigstack's webhooks at the back office: a job whose items are teams (one team from
its page, or every team an admin may use), each given one webhook to ``/hooks/gigstack``.

Idempotent per team: its webhooks are listed first (``GET /webhooks``, one page in
practice); one already posting to the same address is kept (reactivated, or given the
events the index follows, with ``PUT``), else one is made (``POST /webhooks``). So a team
costs 2 calls, and 5,000 teams ~10,000 (8 minutes at the jobs' default pace); a second run
makes no second webhook.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import current_app

from webapp.i18n import gettext as _
from webapp.jobs.kinds import Item, JobKind, Outcome, Planned, ok, register, skipped
from webapp.jobs.models import Job
from webapp.jobs.runner import Work
from webapp.teams.team_list import team_names

from .reindex import EVENTS

NAME = "search_hooks"
PATH = "/hooks/gigstack"
FOLLOWED = sorted(EVENTS)
DESCRIPTION = "Back office: search index"


def hook_url() -> str | None:
    """Where gigstack posts the events (``PUBLIC_BASE_URL`` + the path); None when unset."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    return base + PATH if base else None


class SearchHooks(JobKind):
    name = NAME
    role = "operator"  # it creates webhooks, as the webhooks screens let an operator do

    def title(self, job: Job) -> str:
        if job.team is None:
            count = len(job.params.get("teams") or [])
            return _("Events to this back office (%(count)s teams)", count=count)
        return _("Events to this back office")

    def plan(self, work: Work) -> Iterator[Planned]:
        names = team_names()
        teams = [work.job.team] if work.job.team else list(work.job.params.get("teams") or [])
        for team in teams:
            yield Planned(key=team, label=names.get(team, team)[:200], team=team)

    def run_item(self, work: Work, item: Item) -> Outcome:
        url = work.job.params["url"]
        client = work.client(item.key)
        existing = next((h for h in work.walk(client.webhooks.list) if h.get("url") == url), None)
        if existing is None:
            made = work.call(client.webhooks.create, _payload(url))
            return ok(webhook=made.get("id"), change="created")
        changes = _changes(existing)
        if not changes:
            return skipped(_("This team already sends its events here."), webhook=existing["id"])
        work.call(client.webhooks.update, existing["id"], changes)
        return ok(webhook=existing["id"], change="updated")


def _payload(url: str) -> dict[str, Any]:
    return {"url": url, "events": FOLLOWED, "description": DESCRIPTION, "status": "active"}


def _changes(webhook: dict[str, Any]) -> dict[str, Any]:
    """What an existing webhook to the same address lacks: being active, every event."""
    changes: dict[str, Any] = {}
    events = list(webhook.get("events") or [])
    if not set(FOLLOWED) <= set(events):
        changes["events"] = events + [e for e in FOLLOWED if e not in events]
    if webhook.get("status") != "active":
        changes["status"] = "active"
    return changes


HOOKS = register(SearchHooks())
