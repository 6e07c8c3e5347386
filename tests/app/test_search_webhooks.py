"""gigstack's webhooks keep the search index fresh (``POST /hooks/gigstack``): the endpoint
takes only the event, the team and the object's id from a body, re-reads the object from the
sandbox and writes what gigstack says (a forged total is indexed as gigstack's), removes the
row on a 404, ignores teams the index does not hold and events it does not follow, needs no
sign-in or CSRF token but only takes a POST of bounded size. Webhooks pointing here are
registered from a team's page or for every team, never twice; and end to end, a change in
the sandbox reaches the index through a real delivery over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.app.helpers import post_form, run_jobs, upstream_calls
from tests.app.test_search import hits, start_sync, sync_team
from webapp.extensions import db
from webapp.jobs.models import FINISHED, Job
from webapp.search.models import SearchEntry
from webapp.search.reindex import EVENTS

pytestmark = pytest.mark.databases

HOOK = "/hooks/gigstack"


def event(kind: str, team: str, obj: dict, **extra) -> dict:
    """A WebhookEvent as REFERENCE §10.7 has it (``extra`` overrides any key)."""
    body = {
        "id": "evt_test",
        "type": kind,
        "event": kind,
        "created": 1780000000000,
        "livemode": False,
        "team": team,
        "data": {"object": obj},
    }
    return {**body, **extra}


def row(app, team: str, kind: str, object_id: str) -> SearchEntry | None:
    with app.app_context():
        found = db.session.scalar(
            sa.select(SearchEntry).where(
                SearchEntry.team == team,
                SearchEntry.kind == kind,
                SearchEntry.object_id == object_id,
            )
        )
        if found is not None:
            db.session.expunge(found)
        return found


def webhooks_of(raw, team: str) -> list[dict]:
    return raw.get("/webhooks", params={"team": team, "limit": 100}).json()["data"]


def test_an_event_is_re_read_and_indexed_with_gigstacks_values_not_the_bodys(
    app, admin, client, teams, stored
):
    team = teams["subs"][3]
    sync_team(app, admin, team)
    payment = stored("payments", team)[0]
    forged = {**payment, "total": 987654.32, "client": {"legal_name": "NADIE", "tax_id": "X"}}
    with app.app_context():  # the row is made stale: the event must bring gigstack's back
        db.session.execute(
            sa.update(SearchEntry)
            .where(SearchEntry.object_id == payment["id"])
            .values(amount=Decimal("1.00"), name="viejo")
        )
        db.session.commit()

    answer = client.post(HOOK, json=event("payment.updated", team, forged))

    assert answer.status_code == 202 and answer.json == {"status": "upserted"}
    assert upstream_calls(answer) == 1  # GET /payments/{id}, nothing else
    indexed = row(app, team, "payment", payment["id"])
    assert indexed.amount == Decimal(str(payment["total"])).quantize(Decimal("0.01"))
    assert indexed.name == (payment["client"].get("legal_name") or payment["client"]["name"])
    # the same event again changes nothing (idempotent)
    again = client.post(HOOK, json=event("payment.updated", team, forged))
    assert again.json == {"status": "upserted"}
    assert row(app, team, "payment", payment["id"]).amount == indexed.amount


def test_a_cfdi_is_asked_for_as_the_index_knows_it_whatever_type_the_body_says(
    app, admin, client, teams, stored
):
    team = teams["subs"][3]
    sync_team(app, admin, team)
    invoice = stored("invoices", team, invoice_type="I")[0]
    body = {"uuid": invoice["uuid"], "invoice_type": "E", "total": 1}

    answer = client.post(HOOK, json=event("invoice.canceled", team, body))

    assert answer.json == {"status": "upserted"}
    assert upstream_calls(answer) == 1  # the index's type first: income
    indexed = row(app, team, "invoice", invoice["uuid"])
    assert indexed.invoice_type == "income"
    assert indexed.amount == Decimal(str(invoice["total"])).quantize(Decimal("0.01"))


def test_what_gigstack_no_longer_has_leaves_the_index(
    app, admin, client, teams, stored, raw, restore_sandbox
):
    team = teams["subs"][3]
    sync_team(app, admin, team)
    gone = stored("clients", team)[0]
    assert row(app, team, "client", gone["id"]) is not None
    assert raw.delete(f"/clients/{gone['id']}", params={"team": team}).status_code == 200

    for _ in range(2):  # a repeated event finds nothing more to remove
        answer = client.post(HOOK, json=event("customer.deleted", team, {"id": gone["id"]}))
        assert answer.status_code == 202 and answer.json == {"status": "deleted"}
        assert row(app, team, "client", gone["id"]) is None
    # an id gigstack never had is no row either (and nothing else of the team goes)
    left = client.post(HOOK, json=event("customer.updated", team, {"id": "cus_nothere"}))
    assert left.json == {"status": "deleted"}
    assert row(app, team, "client", stored("clients", team)[0]["id"]) is not None


# (the synced team, a team the index does not hold) → a body
IGNORED = {
    "an event the index does not follow": lambda synced, other: event(
        "service.created", synced, {"id": "srv_1"}
    ),
    "a team the key does not reach": lambda synced, other: event(
        "customer.updated", "tm_unknown", {"id": "cus_1"}
    ),
    "a team not indexed yet": lambda synced, other: {
        "event": "invoice.created",
        "team": other,
        "data": {"uuid": "4f0c2a64-8c1d-4c1e-9d77-0d5f0c0e5a11"},
    },
    "the other mode's object": lambda synced, other: event(
        "customer.updated", synced, {"id": "cus_1"}, livemode=True
    ),
    "no id": lambda synced, other: event("customer.updated", synced, {}),
    "an id that is no id": lambda synced, other: event("customer.updated", synced, {"id": "../x"}),
    "a team that is no text": lambda synced, other: event(
        "customer.updated", [synced], {"id": "c"}
    ),
    "no object": lambda synced, other: "not an object",
    "no body": lambda synced, other: None,
}


@pytest.mark.parametrize("case", IGNORED)
def test_unknown_events_teams_and_bodies_are_acknowledged_and_ignored(
    app, admin, client, teams, case
):
    """No gigstack call for them: the index holds no such team, or follows no such event."""
    synced = teams["subs"][3]
    sync_team(app, admin, synced)
    before = sorted(r.object_id for r in _rows(app, synced))

    answer = client.post(HOOK, json=IGNORED[case](synced, teams["subs"][0]))

    assert answer.status_code == 202 and answer.json == {"status": "ignored"}
    assert upstream_calls(answer) == 0
    assert sorted(r.object_id for r in _rows(app, synced)) == before


def _rows(app, team: str) -> list[SearchEntry]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(SearchEntry).where(SearchEntry.team == team)))
        db.session.expunge_all()
        return found


def test_the_endpoint_needs_no_sign_in_or_token_but_only_takes_small_posts(app, client, teams):
    """gigstack carries no session or CSRF token: an anonymous POST is answered (not sent to
    sign-in, not refused as a stale form); a GET is not allowed; a large body is refused."""
    answer = client.post(HOOK, data="{}", content_type="application/json")
    assert answer.status_code == 202
    assert "Set-Cookie" not in answer.headers  # no session is made for gigstack
    assert client.get(HOOK).status_code == 405
    big = b'{"type": "customer.updated", "pad": "' + b"x" * (300 * 1024) + b'"}'
    assert client.post(HOOK, data=big, content_type="application/json").status_code == 413


def test_registering_from_the_team_page_says_when_no_public_address_is_set(
    app, operator, teams, raw
):
    team = teams["subs"][3]
    app.config["PUBLIC_BASE_URL"] = None
    page = operator.get(f"/teams/{team}/").get_data(as_text=True)
    assert 'data-testid="hooks-unset"' in page and "PUBLIC_BASE_URL" in page
    assert f'action="/teams/{team}/search/hooks"' not in page
    before = len(webhooks_of(raw, team))
    answer = post_form(operator, f"/teams/{team}/search/hooks", {"once": "x" * 20})
    assert answer.status_code == 302 and answer.location == f"/teams/{team}/"
    assert "PUBLIC_BASE_URL" in operator.get(f"/teams/{team}/").get_data(as_text=True)
    assert len(webhooks_of(raw, team)) == before


def test_a_team_page_registers_one_webhook_to_the_back_office_and_never_a_second(
    app, operator, viewer, teams, raw, restore_sandbox
):
    team = teams["subs"][3]
    app.config["PUBLIC_BASE_URL"] = "https://backoffice.example.mx/"
    url = "https://backoffice.example.mx/hooks/gigstack"
    assert f'action="/teams/{team}/search/hooks"' not in viewer.get(f"/teams/{team}/").get_data(
        as_text=True
    )

    for round_ in range(2):
        answer = start_sync(operator, f"/teams/{team}/", f"/teams/{team}/search/hooks")
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        run_jobs(app)
        job = _job(app, answer.location)
        assert job.status == FINISHED and job.total == 1
        assert (job.ok, job.skipped) == ((1, 0) if round_ == 0 else (0, 1))
        mine = [h for h in webhooks_of(raw, team) if h["url"] == url]
        assert len(mine) == 1
        assert set(mine[0]["events"]) == set(EVENTS) and mine[0]["status"] == "active"
    # one paused by hand is switched on again (still one)
    raw.put(f"/webhooks/{mine[0]['id']}", params={"team": team}, json={"status": "inactive"})
    start_sync(operator, f"/teams/{team}/", f"/teams/{team}/search/hooks")
    run_jobs(app)
    mine = [h for h in webhooks_of(raw, team) if h["url"] == url]
    assert len(mine) == 1 and mine[0]["status"] == "active"


def _job(app, location: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, int(location.rsplit("/", 1)[1]))
        db.session.expunge(job)
        return job


def test_every_team_is_registered_in_one_job_and_again_changes_nothing(
    app, admin, operator, raw, restore_sandbox
):
    app.config["PUBLIC_BASE_URL"] = "https://backoffice.example.mx"
    url = "https://backoffice.example.mx/hooks/gigstack"
    assert 'data-testid="search-hooks"' not in operator.get("/search/").get_data(as_text=True)
    counts = []
    for _ in range(2):
        answer = start_sync(admin, "/search/", "/search/hooks")
        assert answer.status_code == 302
        run_jobs(app)
        job = _job(app, answer.location)
        assert job.status == FINISHED and job.total > 3 and job.failed == 0
        counts.append((job.ok, job.skipped))
        with app.app_context():
            teams = list(job.params["teams"])
        for team in teams:
            assert [h["url"] for h in webhooks_of(raw, team)].count(url) == 1, team
    assert counts == [(counts[0][0], 0), (0, counts[0][0])]


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app on a real loopback port, where the sandbox can deliver."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_change_in_gigstack_is_searchable_through_a_real_delivery(
    app, admin, teams, stored, raw, sandbox, served, restore_sandbox
):
    team = teams["subs"][3]
    app.config["PUBLIC_BASE_URL"] = served
    sync_team(app, admin, team)
    answer = start_sync(admin, f"/teams/{team}/", f"/teams/{team}/search/hooks")
    run_jobs(app)
    assert _job(app, answer.location).ok == 1
    client = stored("clients", team)[0]
    assert hits(admin, "zapoteca renombrada") == []

    changed = raw.put(
        f"/clients/{client['id']}",
        params={"team": team},
        json={"legal_name": "ZAPOTECA RENOMBRADA"},
    )
    assert changed.status_code == 200, changed.text

    delivery = _delivered(sandbox, f"{served}{HOOK}", "customer.updated")
    assert delivery["status"] == 202
    link = f"/teams/{team}/clients/{client['id']}"
    assert ("client", team, link) in hits(admin, "zapoteca renombrada")


def _delivered(sandbox, url: str, event_type: str) -> dict:
    """The sandbox's recorded delivery (made on its own thread, after its answer)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sandbox.store.lock:
            found = [
                d for d in sandbox.store.deliveries if d["url"] == url and d["type"] == event_type
            ]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} delivered to {url}")
