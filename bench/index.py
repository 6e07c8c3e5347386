"""The search index at a partner's scale, measured on real processes (issue 23's numbers).

    python -m bench.index                                      # sync and rebuild phases
    python -m bench.index --teams 5000 --latency-ms 20 --rate 400
    python -m bench.index --phases fill --database-url postgresql://… --per-team 200

A sandbox process (``--teams`` sub-teams of the partner, ``--scale`` for the partner's own
documents) answers with injected latency; a jobs worker (``python -m webapp.jobs``, the
Procfile's ``worker:``) runs the index's sync the way the dashboard queues it
(``lifecycle.start``). Phases:

- ``sync``: the first load of every team the key reaches — wall time, gigstack calls (the
  sandbox's own count) and calls per second, rows written, the worker's peak RSS; then a
  client created in ten teams and the incremental pass that finds them (its time and calls:
  the delay to searchable when no webhook tells us);
- ``rebuild``: the index as the passes left it, then wiped and loaded again from scratch:
  the two must be equal row for row (every column but the row id and when it was written);
- ``fill``: ``--per-team`` synthetic rows for every team into ``--database-url`` (a migrated
  database, e.g. ``make bench``'s with ``BENCH_DATABASE_URL``), copied from the partner's real
  documents with new ids, folios, RFCs, names, amounts and dates, so searches and the inbox
  can be timed at 5,000 teams × 200 documents (1 M rows) without a sandbox holding them all.

Results are printed and kept in ``bench/results/index-<when>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.month import (
    EMAIL,
    RESULTS,
    RssWatch,
    Stack,
    app_context,
    partner_team,
    results_of,
    wait_job,
)

SEED = 23
CLIENT_NAMES = ("Comercializadora", "Servicios", "Distribuidora", "Grupo", "Consultoría")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def reached_teams(app: Any) -> list[Any]:
    """Every team the key reaches, as the directory lists them (``TeamChoice``)."""
    from webapp.teams.team_list import directory

    with app.test_request_context("/"):
        return list(directory().index().teams)


def start_sync(app: Any, teams: list[str], *, full: bool = False) -> int:
    """Queue the index's sync over ``teams`` as the search page does, as the bench admin."""
    from flask_login import login_user

    from webapp.auth.models import Staff
    from webapp.jobs import lifecycle
    from webapp.search.sync import SYNC

    params: dict[str, Any] = {"teams": teams, **({"full": True} if full else {})}
    with app.test_request_context("/"):
        login_user(Staff.query.filter_by(email=EMAIL).one())
        return lifecycle.start(SYNC, team=None, params=params, description="bench").id


def count_rows(app: Any) -> int:
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.search.models import SearchEntry

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(SearchEntry)) or 0


def timed_sync(stack: Stack, app: Any, teams: list[str], *, full: bool = False) -> dict:
    """One pass over ``teams`` on a fresh worker: time, calls, rows, the worker's peak RSS."""
    calls, started = stack.calls(), time.perf_counter()
    job_id = start_sync(app, teams, full=full)
    worker = stack.start_worker()
    watch = RssWatch()
    watch.watch(worker.pid)
    try:
        job = wait_job(app, job_id, seconds=7200)
    finally:
        watch.close()
        stack.stop_workers()
    seconds = time.perf_counter() - started
    made = stack.calls() - calls
    return {
        "teams": len(teams),
        "status": job.status,
        "items_failed": job.failed,
        "seconds": round(seconds, 1),
        "gigstack_calls": made,
        "calls_per_second": round(made / seconds, 1),
        "calls_per_team": round(made / len(teams), 2),
        "rows": count_rows(app),
        "worker_peak_rss_mb": round(max(watch.peak_mb.values(), default=0.0), 1),
    }


def create_clients(app: Any, teams: list[str]) -> list[tuple[str, str]]:
    """A new client in each of ``teams`` (what the incremental pass must find)."""
    made = []
    client = app.extensions["gigstack"].client
    for number, team in enumerate(teams):
        created = client.for_team(team).clients.create(
            {
                "legal_name": f"CLIENTE INDICE {number:03d}",
                "tax_id": "XAXX010101000",
                "email": f"indice{number}@bench.test",
                "address": {"zip": "06600", "country": "MEX"},
                "tax_system": "616",
                "use": "S01",
            }
        )
        made.append((team, created["id"]))
    return made


def snapshot(app: Any) -> tuple[int, str]:
    """Every row but its id and when it was written, in a stable order: count and digest."""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.search.models import SearchEntry

    table = SearchEntry.__table__
    columns = [c for c in table.columns if c.name not in ("id", "synced_at")]
    digest, count = hashlib.sha256(), 0
    with app.app_context():
        ordered = sa.select(*columns).order_by(table.c.team, table.c.kind, table.c.object_id)
        for row in db.session.execute(ordered):
            digest.update(repr(tuple(row)).encode())
            count += 1
    return count, digest.hexdigest()


def wipe(app: Any) -> None:
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.search.models import SearchEntry, SyncState

    with app.app_context():
        db.session.execute(sa.delete(SearchEntry))
        db.session.execute(sa.delete(SyncState))
        db.session.commit()


def phase_sync(stack: Stack, app: Any, teams: list[str]) -> dict:
    first = timed_sync(stack, app, teams)
    print(json.dumps({"first load": first}, indent=1), flush=True)
    changed = create_clients(app, teams[1:11] or teams[:1])
    later = timed_sync(stack, app, teams)
    later["new_clients_found"] = found_clients(app, changed)
    later["new_clients"] = len(changed)
    return {"first_load": first, "incremental": later}


def found_clients(app: Any, made: list[tuple[str, str]]) -> int:
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.search.models import SearchEntry

    with app.app_context():
        found = 0
        for team, client_id in made:
            found += bool(
                db.session.scalar(
                    sa.select(SearchEntry.id).where(
                        SearchEntry.team == team,
                        SearchEntry.kind == "client",
                        SearchEntry.object_id == client_id,
                    )
                )
            )
        return found


def phase_rebuild(stack: Stack, app: Any, teams: list[str]) -> dict:
    incremental = snapshot(app)
    wipe(app)
    rebuilt_pass = timed_sync(stack, app, teams)
    rebuilt = snapshot(app)
    return {
        "incremental_rows": incremental[0],
        "rebuilt_rows": rebuilt[0],
        "equal": incremental == rebuilt,
        "digest": rebuilt[1][:16],
        "rebuild": rebuilt_pass,
    }


# -- fill: synthetic rows at a partner's scale ------------------------------------------------


def templates(app: Any, team: str) -> list[dict[str, Any]]:
    """The partner's real objects as index rows: what the synthetic rows are copies of."""
    from webapp.search import rows
    from webapp.search.sync import SOURCES

    client = app.extensions["gigstack"].client
    found: list[dict[str, Any]] = []
    for source in SOURCES:
        page = source.listing(client)(limit=100)
        found += [source.row(team, obj) for obj in page if obj.get("uuid") or obj.get("id")]
    return [row for row in found if row["kind"] != "team"] or [rows.team_row(team, {})]


def _rfc(rng: random.Random, moral: bool) -> str:
    letters = "".join(rng.choice(LETTERS) for _ in range(3 if moral else 4))
    born = datetime(1960, 1, 1) + timedelta(days=rng.randint(0, 20000))
    tail = "".join(rng.choice(LETTERS + "0123456789") for _ in range(3))
    return f"{letters}{born:%y%m%d}{tail}"


def synthetic(rng: random.Random, team: str, template: dict[str, Any], now: datetime) -> dict:
    """A copy of ``template`` for ``team``: new ids and keys, the same shape."""
    from webapp.search.rows import _text

    row = dict(template, team=team)
    moral = rng.random() < 0.4
    rfc = _rfc(rng, moral)
    name = f"{rng.choice(CLIENT_NAMES)} {rfc[:3]} {rng.randint(1, 999)}"
    row.update(rfc=rfc, name=name, email=f"{rfc.lower()}@cliente.test")
    row["created_at"] = now - timedelta(seconds=rng.randint(0, 400 * 86400))
    if row.get("amount") is not None:
        row["amount"] = Decimal(rng.randint(100, 5_000_000)) / 100
    if row["kind"] == "invoice":
        row["uuid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        row["object_id"] = row["uuid"].upper()
        row["folio"] = f"{(row.get('folio') or 'A-').split('-')[0]}-{rng.randint(1, 99999)}"
        keys = (row["uuid"], row["folio"], row["folio"].replace("-", ""), rfc, name, row["email"])
    else:
        prefix = (row["object_id"] or "obj_").split("_")[0]
        row["object_id"] = f"{prefix}_{rng.getrandbits(64):016x}"
        if row["kind"] == "client":
            row["client_id"] = row["object_id"]
        keys = (row["object_id"], rfc, name, row["email"])
    row["text"] = _text(*keys)
    return row


def fill(database_url: str, per_team: int) -> dict:
    """``per_team`` synthetic rows (plus a team row and sync states) for every team the key
    reaches, written into ``database_url`` (already migrated) in batches."""
    import os

    import sqlalchemy as sa

    from webapp.clock import utcnow
    from webapp.extensions import db
    from webapp.search import rows
    from webapp.search.models import SearchEntry, SyncState
    from webapp.search.sync import SOURCES

    os.environ["DATABASE_URL"] = database_url
    rng = random.Random(SEED)
    started = time.perf_counter()
    with app_context() as app:
        reached = reached_teams(app)
        teams = [team.id for team in reached]
        names = {team.id: team for team in reached}
        shapes = templates(app, partner_team(app))
        now, written = utcnow(), 0
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.delete(SearchEntry.__table__))
            conn.execute(sa.delete(SyncState.__table__))
        for start in range(0, len(teams), 50):
            batch, states = [], []
            for team in teams[start : start + 50]:
                choice = names[team]
                details = {
                    "legal_name": choice.legal_name,
                    "tax_id": choice.tax_id,
                    "brand": {"alias": choice.name},
                    "sat": {
                        "completed": choice.csd_completed,
                        "csd_expires_at": choice.csd_expires_at,
                    },
                }
                batch.append(rows.team_row(team, details))
                batch += [synthetic(rng, team, rng.choice(shapes), now) for _ in range(per_team)]
                states += [
                    {"team": team, "source": s.name, "watermark": now, "synced_at": now}
                    for s in SOURCES
                ]
            with app.app_context(), db.engine.begin() as conn:
                written += rows.upsert(conn, batch, now)
                rows.upsert_into(conn, SyncState.__table__, states, ("team", "source"))
    return {
        "teams": len(teams),
        "rows": written,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="the search index at a partner's scale")
    parser.add_argument("--phases", default="sync,rebuild")
    parser.add_argument("--teams", type=int, default=5000, help="the sandbox's sub-teams")
    parser.add_argument("--scale", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=400.0, help="JOBS_RATE_PER_SECOND")
    parser.add_argument("--per-team", type=int, default=4, help="JOBS_TEAM_CONCURRENCY")
    parser.add_argument("--database-url", default="", help="default: a SQLite file")
    parser.add_argument("--rows-per-team", type=int, default=200, help="fill: rows a team")
    args = parser.parse_args()
    args.sandbox_teams = args.teams
    phases = args.phases.split(",")
    folder = tempfile.mkdtemp(prefix="index-bench-")
    stack = Stack(args, folder)
    results = results_of(args, stack)
    try:
        stack.use(
            args.database_url or f"sqlite:///{folder}/index.sqlite3",
            f"sqlite:///{folder}/queue.sqlite3",
        )
        with app_context() as app:
            teams = [team.id for team in reached_teams(app)]
            stack.latency(args.latency_ms)
            if "sync" in phases:
                results["sync"] = phase_sync(stack, app, teams)
                print(json.dumps({"sync": results["sync"]}, indent=1), flush=True)
            if "rebuild" in phases:
                results["rebuild"] = phase_rebuild(stack, app, teams)
                print(json.dumps({"rebuild": results["rebuild"]}, indent=1), flush=True)
            stack.latency(0)
        if "fill" in phases:
            results["fill"] = fill(
                args.database_url or stack.env["DATABASE_URL"], args.rows_per_team
            )
            print(json.dumps({"fill": results["fill"]}, indent=1), flush=True)
    finally:
        stack.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"index-{results['when']}.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
