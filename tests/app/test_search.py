"""Search across teams (``/search/``) on the local index: a sync job started from a team's
page (or for every team) reads the sandbox over HTTP into the index, and the search page
finds each kind by each of its keys, linked to its page under its team, only among the
teams the staff member may see. An incremental sync picks up what was created since; a team
out of the key's reach loses its rows; an index rebuilt from scratch equals the incremental
one."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from tests.app.helpers import run_jobs, start_sync, sync_team, text_of
from webapp.extensions import db
from webapp.jobs.models import FINISHED, UNATTENDED, Job
from webapp.search import routes as search_routes
from webapp.search.models import SearchEntry, SyncState

pytestmark = pytest.mark.databases


def hits(browser, query: str) -> list[tuple[str, str, str]]:
    """(kind, team, link) of every result ``query`` finds."""
    answer = browser.get("/search/", query_string={"q": query})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    found = []
    for group in re.finditer(
        r'<section class="search-group" data-kind="(\w+)">(.*?)</section>', html, re.S
    ):
        for hit in re.finditer(r'data-team="([^"]+)">\s*<a[^>]*href="([^"]+)"', group.group(2)):
            found.append((group.group(1), hit.group(1), unescape(hit.group(2))))
    return found


def rows_of(app, team: str) -> list[dict]:
    """The team's rows without what differs between runs (row id, when written)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(SearchEntry.__table__).where(SearchEntry.team == team)
        ).mappings()
        return sorted(
            ({k: v for k, v in row.items() if k not in ("id", "synced_at")} for row in rows),
            key=lambda row: (row["kind"], row["object_id"]),
        )


def newest(documents: list[dict]) -> dict:
    return max(
        documents,
        key=lambda doc: (doc.get("created_at") or doc["created"], doc.get("id") or doc.get("uuid")),
    )


def test_a_synced_team_is_found_by_every_key_and_linked_under_its_team(app, admin, teams, stored):
    team = teams["subs"][3]  # Café La Parroquia
    job = sync_team(app, admin, team)
    assert job.total == 1 and job.ok == 1
    base = f"/teams/{team}"

    invoice = newest([i for i in stored("invoices", team) if i["invoice_type"] == "I"])
    link = f"{base}/invoices/{invoice['uuid']}?type=income"
    folio = f"{invoice['series']}-{invoice['folio_number']}"
    receiver = invoice["client"]
    for query in (
        invoice["uuid"],
        invoice["uuid"][:8].upper(),
        folio,
        receiver["tax_id"],
        receiver["legal_name"],
        f"{Decimal(str(invoice['total'])):,.2f}",
    ):
        assert ("invoice", team, link) in hits(admin, query), query
    assert admin.get(link).status_code == 200

    client = stored.one("clients", team, test=lambda c: c.get("email"))
    client_link = f"{base}/clients/{client['id']}"
    for query in (client["tax_id"], client["legal_name"].lower(), client["email"]):
        assert ("client", team, client_link) in hits(admin, query), query

    for query in ("cafe la parroquia", "CPC120915AB3"):
        assert ("team", team, f"{base}/") in hits(admin, query), query

    payment = newest(stored("payments", team))
    assert ("payment", team, f"{base}/payments/{payment['id']}") in hits(admin, payment["id"])
    receipt = newest(stored("receipts", team))
    assert ("receipt", team, f"{base}/receipts/{receipt['id']}") in hits(admin, receipt["id"])

    assert hits(admin, "nada-por-aqui-zzz") == []
    # an RFC made of hex letters and digits is UUID-shaped too: it is still found by RFC
    with app.app_context():
        db.session.execute(
            sa.update(SearchEntry)
            .where(SearchEntry.team == team, SearchEntry.object_id == client["id"])
            .values(rfc="CAFE800101AB1")
        )
        db.session.commit()
    assert ("client", team, client_link) in hits(admin, "cafe800101ab1")
    short = admin.get("/search/", query_string={"q": "ab"}).get_data(as_text=True)
    assert "al menos 3 caracteres" in text_of(short)


def test_the_team_page_says_how_fresh_its_copy_is(app, admin, viewer, teams):
    team = teams["subs"][4]
    before = admin.get(f"/teams/{team}/").get_data(as_text=True)
    assert "Aún no está en el índice" in text_of(before)
    assert f'action="/teams/{team}/search/sync"' not in viewer.get(f"/teams/{team}/").get_data(
        as_text=True
    )
    sync_team(app, admin, team)
    after = text_of(admin.get(f"/teams/{team}/").get_data(as_text=True))
    counted = re.search(r"(\d+) objetos en el índice", after)
    assert counted and int(counted.group(1)) == len(rows_of(app, team)) > 2, after


def test_a_large_teams_rows_are_counted_up_to_a_bound(app, admin, teams, monkeypatch):
    """A team of 100,000 documents does not have every index row read on each of its pages:
    past the bound, the page says "over" it."""
    team = teams["subs"][4]
    sync_team(app, admin, team)
    monkeypatch.setattr(search_routes, "COUNTED_UP_TO", 2)
    page = text_of(admin.get(f"/teams/{team}/").get_data(as_text=True))
    assert "Más de 2 objetos en el índice" in page, page


def test_a_team_read_over_a_day_ago_is_said_to_be_out_of_date(app, admin, teams):
    team = teams["subs"][3]
    sync_team(app, admin, team)
    fresh = text_of(admin.get("/search/", query_string={"q": "zzzz"}).get_data(as_text=True))
    assert "hace más de un día" not in fresh
    with app.app_context():
        for state in db.session.scalars(sa.select(SyncState).where(SyncState.team == team)):
            state.synced_at = state.synced_at - timedelta(hours=27)
        db.session.commit()
    old = text_of(admin.get("/search/", query_string={"q": "zzzz"}).get_data(as_text=True))
    assert "1 equipo se leyó hace más de un día" in old


def test_an_incremental_sync_picks_up_a_new_invoice_and_equals_a_rebuild(
    app, admin, teams, stored, api
):
    team = teams["subs"][4]  # Nube Norte: stamps
    sync_team(app, admin, team)
    receiver = stored.one("clients", team, tax_system="601", test=lambda c: c.get("is_valid"))
    created = api.for_team(team).invoices.create_income(
        {
            "client": {"id": receiver["id"]},
            "items": [
                {
                    "description": "Índice de búsqueda",
                    "unit_price": 4321.5,
                    "product_key": "81111500",
                    "unit_key": "E48",
                }
            ],
            "payment_form": "03",
            "payment_method": "PUE",
            "use": "G03",
        }
    )
    assert hits(admin, created["uuid"]) == []

    again = sync_team(app, admin, team)
    link = f"/teams/{team}/invoices/{created['uuid']}?type=income"
    assert ("invoice", team, link) in hits(admin, created["uuid"])
    with app.app_context():
        counts = db.session.scalars(sa.select(Job.id).where(Job.id == again.id)).one()
        item = db.session.execute(
            sa.text("SELECT data FROM job_items WHERE job_id = :id"), {"id": counts}
        ).scalar_one()
    read = item if isinstance(item, dict) else __import__("json").loads(item)
    # from the watermark: the invoices created since (the newest again, and the new one)
    assert read["invoice:income"] <= 2, read
    assert read["client"] <= 2, read

    incremental = rows_of(app, team)
    with app.app_context():
        db.session.execute(sa.delete(SearchEntry).where(SearchEntry.team == team))
        db.session.execute(sa.delete(SyncState).where(SyncState.team == team))
        db.session.commit()
    sync_team(app, admin, team)
    assert rows_of(app, team) == incremental
    assert len(incremental) == 1 + sum(
        len(stored(kind, team)) for kind in ("clients", "invoices", "payments", "receipts")
    )


def test_a_staff_member_limited_to_some_teams_never_sees_the_others_rows(
    app, admin, signed_in, teams, stored
):
    mine, theirs = teams["subs"][1], teams["subs"][2]
    sync_team(app, admin, mine)
    sync_team(app, admin, theirs)
    limited = signed_in("viewer", team_ids=[mine])
    rfc = stored("clients", theirs)[0]["tax_id"]  # the seed's clients are in every team
    assert {team for _, team, _ in hits(admin, rfc)} == {mine, theirs}
    assert {team for _, team, _ in hits(limited, rfc)} == {mine}
    other = newest(stored("invoices", theirs))
    assert hits(limited, other["uuid"]) == []
    assert hits(limited, "payment_") and all(t == mine for _, t, _ in hits(limited, "payment_"))
    page = limited.get("/search/", query_string={"q": rfc}).get_data(as_text=True)
    assert theirs not in page and 'action="/search/sync"' not in page
    assert limited.post("/search/sync").status_code in (400, 403)


def test_every_team_at_once_then_a_team_out_of_reach_loses_its_rows(
    app, admin, teams, api, restore_sandbox
):
    gone = api.teams.create(
        {"legal_name": "EQUIPO QUE SE VA", "tax_system": "601", "tax_id": "EQV200101AB1"}
    )
    app.extensions["team_directory"].forget()
    empty = admin.get("/search/").get_data(as_text=True)
    assert "El índice de búsqueda está vacío" in text_of(empty)
    answer = start_sync(admin, "/search/", "/search/sync")
    assert answer.status_code == 302 and re.fullmatch(r"/jobs/\d+", answer.location)
    run_jobs(app)
    progress = text_of(admin.get(answer.location).get_data(as_text=True))
    assert "Equipo que se va".upper() in progress.upper()
    assert ("team", gone["id"], f"/teams/{gone['id']}/") in hits(admin, "equipo que se va")
    fresh = admin.get("/search/").get_data(as_text=True)
    assert 'data-testid="search-freshness"' not in fresh

    api.teams.delete(gone["id"])
    app.extensions["team_directory"].forget()
    queued = app.extensions["jobs"].reconcile_search()  # the nightly pass
    with app.app_context():
        left = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SearchEntry)
            .where(SearchEntry.team == gone["id"])
        )
    assert left == 0  # dropped before the pass even starts: the list no longer has it
    assert hits(admin, "equipo que se va") == []
    run_jobs(app)
    with app.app_context():
        nightly = db.session.get(Job, queued)
        assert (nightly.status, nightly.actor) == (FINISHED, UNATTENDED)
        assert nightly.params["full"] and gone["id"] not in nightly.params["teams"]


def test_the_freshness_of_the_same_teams_is_worked_out_once_per_change_of_the_index(
    app, admin, teams
):
    from webapp.clock import utcnow
    from webapp.search import query

    every = tuple(teams["subs"][:3])  # an admin's list: the same object on every request
    with app.app_context():
        first = query.freshness(every, utcnow())
        assert query.freshness(every, utcnow()) is first
        assert query.freshness(list(every), utcnow()) == first  # another list: worked out
    sync_team(app, admin, every[0])
    with app.app_context():
        after = query.freshness(every, utcnow())
    assert after is not first and after.indexed == first.indexed + 1


def test_a_rows_text_is_found_as_it_is_now_after_each_insert_update_and_delete(app):
    """The contains-search reads SQLite's trigram table, kept by triggers: an updated row is
    found by its new words only, a deleted one by none (on PostgreSQL, its trigram index)."""
    from webapp.clock import utcnow
    from webapp.search import query, rows
    from webapp.search.models import SearchEntry

    def found(word: str) -> list[str]:
        hits = query.search(word, ["team_words"])
        return [row.object_id for row in hits.rows.get("client", [])] if hits else []

    client = {"id": "client_w", "legal_name": "Papeleria Quetzal", "tax_id": "XAXX010101000"}
    with app.app_context():
        with db.engine.begin() as conn:
            rows.upsert(conn, [rows.client_row("team_words", client)], utcnow())
        assert found("quetzal") == ["client_w"] and found("colibri") == []
        renamed = {**client, "legal_name": "Papeleria Colibri"}
        with db.engine.begin() as conn:
            rows.upsert(conn, [rows.client_row("team_words", renamed)], utcnow())
        assert found("colibri") == ["client_w"] and found("quetzal") == []
        assert found("ria_co") == []  # a LIKE wildcard in the needle is a character
        with db.engine.begin() as conn:
            conn.execute(sa.delete(SearchEntry).where(SearchEntry.team == "team_words"))
        assert found("colibri") == []
