"""Search across teams (``/search/?q=``) and starting the index's sync: for one team from its
page (``/teams/<team>/search/sync``), for every team an admin may use (``/search/sync``);
and pointing gigstack's webhooks at the back office the same two ways (``…/search/hooks``).

No upstream call here: the search reads the index, the team list at hand names the teams,
and a sync or a registration only queues a job (:mod:`.sync`, :mod:`.subscribe` say what
they cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from webapp.audit import Detail
from webapp.audit.details import JOB_HOOKS, JOB_TEAMS
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.i18n import gettext as _
from webapp.jobs import lifecycle
from webapp.jobs.models import ENDED, Job
from webapp.jobs.routes import job_url
from webapp.pages import navigate, render_page
from webapp.teams.scoped import current_team_id, team_blueprint
from webapp.teams.team_list import directory, team_names

from . import query
from .counts import count_up_to, over
from .forms import SyncForm
from .models import SearchEntry, SyncState
from .subscribe import HOOKS, hook_url
from .sync import NAME, SYNC

bp = Blueprint("search", __name__, url_prefix="/search")
bp.verbs = ("sync", "hooks")
team_bp = team_blueprint("team_search", __name__, "/search", verbs=("sync", "hooks"))

# a query longer than this is no UUID, RFC, name or amount anyone types
LONGEST = 100
# teams named on the page when the index lacks some (the rest are counted)
NAMED = 5


def visible_teams() -> Sequence[str] | None:
    """The teams this staff member may see, from the list at hand (None: none at hand); for
    staff who see every team, the list's own tuple (made once per version of the list, and
    the same object on every request: :func:`query.freshness` keeps its answer for it)."""
    index = directory().index_without_waiting()
    if index is None:
        return current_user.team_ids
    if current_user.team_ids is None:
        return index.ids
    return [index.teams[at].id for at in index.positions(current_user.team_ids)]


def running_sync() -> Job | None:
    """The newest sync of every team still under way (its page shows the progress)."""
    if current_user.team_ids is not None:
        return None
    return db.session.scalar(
        sa.select(Job)
        .where(Job.kind == NAME, Job.team.is_(None), Job.status.not_in(ENDED))
        .order_by(Job.id.desc())
        .limit(1)
    )


def index_state() -> dict[str, Any]:
    """What ``search/_freshness.html`` shows on the search page and the inbox: how fresh the
    index is for the teams this staff member may see (and their names), the update of every
    team under way, or (admins) the form that starts one. The card shows only when a team is
    missing or out of date, so the update under way and the form are looked up only then."""
    teams = visible_teams()
    fresh = query.freshness(teams, utcnow()) if teams is not None else None
    shown = fresh is not None and bool(fresh.missing or fresh.stale)
    running = running_sync() if shown else None
    return {
        "fresh": fresh,
        "named": NAMED,
        "names": team_names(),
        "running_url": job_url(running) if running else None,
        "sync_form": SyncForm.offered() if shown and current_user.can(Role.ADMIN) else None,
    }


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """What ``q`` finds in the index among the teams this staff member may see, by kind,
    each linked to its page under its team; how fresh the index is for those teams."""
    text = (request.args.get("q") or "").strip()[:LONGEST]
    found = query.search(text, current_user.team_ids) if text else None
    return render_page(
        "search/page.html",
        "search/_results.html",
        q=text,
        found=found,
        too_short=bool(text) and found is None,
        **index_state(),
        hooks_form=SyncForm.offered() if current_user.can(Role.ADMIN) else None,
        hook_url=hook_url(),
        shortest=query.SHORTEST,
        cap=query.CAP,
    )


def _start(
    form: SyncForm,
    team: str | None,
    teams: list[str],
    description: Detail | str,
    kind=SYNC,
    **params: str,
):
    """The job queued through the kit's start (one-time token, confirmation, its page next)."""
    if not form.validate():
        abort(400)
    params = {**params} if team else {**params, "teams": teams}
    return lifecycle.start_once(
        form.once.data, kind, team=team, params=params, description=description
    )


def _hooks(team: str | None, teams: list[str], back: str):
    """Register the webhooks, or say why not: no public address configured."""
    url = hook_url()
    if url is None:
        flash(unset_message(), "error")
        return navigate(back)
    detail = Detail(JOB_HOOKS, count=len(teams), url=url)
    return _start(SyncForm(), team, teams, detail, HOOKS, url=url)


@team_bp.app_template_global("hooks_unset_message")
def unset_message() -> str:
    """Why no webhook can point here (in the viewer's language; also on the team's page)."""
    return _(
        "gigstack cannot reach this back office: PUBLIC_BASE_URL, its public address "
        "(https://…), is not set. Ask whoever runs it to set it."
    )


@bp.post("/sync")
@requires(Role.ADMIN)
def sync():
    """Bring the index up to date for every team the admin may use: one job, one item per
    team (new teams are read in full, the others from their watermark)."""
    teams = visible_teams()
    if not teams:
        abort(409, description="no_teams")
    return _start(SyncForm(), None, list(teams), Detail(JOB_TEAMS, count=len(teams)))


@team_bp.post("/sync", endpoint="sync")
@requires(Role.ADMIN)
def sync_team():
    """Bring the index up to date for this team (read in full the first time)."""
    team = current_team_id()
    return _start(SyncForm(), team, [team], team)


@bp.post("/hooks")
@requires(Role.ADMIN)
def hooks():
    """Point every team's webhooks (that the admin may use) at this back office: one job."""
    teams = visible_teams()
    if not teams:
        abort(409, description="no_teams")
    return _hooks(None, list(teams), url_for("search.index"))


@team_bp.post("/hooks", endpoint="hooks")
@requires(Role.OPERATOR)
def hooks_team():
    """Point this team's webhooks at this back office (idempotent: never a second one)."""
    team = current_team_id()
    return _hooks(team, [team], url_for("team.show"))


# a team's rows in the index are counted up to this many (a team of 100,000 documents would
# otherwise have every one of its index rows read on each of its pages)
COUNTED_UP_TO = 10_000


@dataclass(frozen=True)
class TeamIndexState:
    """What the team's page says of its copy in the index (template global
    ``search_index_state``): its rows, when it was read, and the form to read it again."""

    rows: int  # counted up to COUNTED_UP_TO + 1: more than that is "over COUNTED_UP_TO"
    synced_at: datetime | None
    stale: bool
    form: SyncForm | None
    # where gigstack's events would be sent (None: PUBLIC_BASE_URL unset), and the form
    # that registers the webhook (operators and above)
    hook_url: str | None = None
    hooks_form: SyncForm | None = None

    @property
    def more_than(self) -> int | None:
        """:data:`COUNTED_UP_TO` when the team has more rows than are counted, else None."""
        return over(self.rows, COUNTED_UP_TO)


@cache
def _team_synced_at() -> sa.Select:
    """When the ``team`` parameter's least recently read list was read (built once: see
    :func:`webapp.rep.monitor.of_teams` on statements executed with their values)."""
    return sa.select(sa.func.min(SyncState.synced_at)).where(SyncState.team == sa.bindparam("team"))


@cache
def _team_rows_counted() -> sa.Select:
    """How many index rows the ``team`` parameter's team has, up to ``most``."""
    rows = sa.select(SearchEntry.id).where(SearchEntry.team == sa.bindparam("team"))
    return sa.select(count_up_to(rows, sa.bindparam("most")))


@team_bp.app_template_global("search_index_state")
def team_index_state(team: str) -> TeamIndexState:
    """Two small queries on the index's own tables (no upstream call), the count bounded."""
    synced_at = db.session.scalar(_team_synced_at(), {"team": team})
    rows = db.session.scalar(_team_rows_counted(), {"team": team, "most": COUNTED_UP_TO + 1})
    stale = synced_at is None or query.is_stale(synced_at, utcnow())
    form = SyncForm.offered() if current_user.can(Role.ADMIN) else None
    hooks_form = SyncForm.offered() if current_user.can(Role.OPERATOR) else None
    return TeamIndexState(rows or 0, synced_at, stale, form, hook_url(), hooks_form)
