"""The attention inbox (``/inbox/``) on the search index, filled by the teams' sync over HTTP
from the sandbox: an expiring CSD, a team not ready to invoice, a payment without its
complement, PPD balances by age, a receipt about to expire unstamped and a cancellation
awaiting the receiver each appear with their team, deadline and fix; filters by kind and
team; a snooze needs a reason, hides the row until its day, is audited with the reason as
typed; a staff member never sees a team outside their reach. The clock is the app's
(``app.config["CLOCK"]``)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from tests.app.helpers import (
    audit_rows,
    input_value,
    payment_form,
    post_form,
    receipt_form,
    sync_team,
    text_of,
    upstream_calls,
)
from webapp.extensions import db
from webapp.formatting import MEXICO_CITY
from webapp.gigstack.timestamps import to_datetime
from webapp.inbox import items
from webapp.search.models import SearchEntry

pytestmark = pytest.mark.databases

ROW = re.compile(
    r'<tr data-kind="(\w+)" data-team="([^"]+)" data-object="([^"]+)">(.*?)</tr>', re.S
)


def rows(browser, **query) -> list[dict]:
    """Every row of the inbox (``query``: its filters), in the page's order."""
    answer = browser.get("/inbox/", query_string=query)
    assert answer.status_code == 200
    assert upstream_calls(answer) <= 1  # at most the frame's team list: the rows are the index's
    return [
        {
            "kind": kind,
            "team": team,
            "object": unescape(obj),
            "text": text_of(body),
            "links": [unescape(link) for link in re.findall(r'href="([^"]+)"', body)],
        }
        for kind, team, obj, body in ROW.findall(answer.get_data(as_text=True))
    ]


def one(found: list[dict], kind: str, obj: str) -> dict:
    matching = [row for row in found if row["kind"] == kind and row["object"] == obj]
    assert len(matching) == 1, [(row["kind"], row["object"]) for row in found]
    return matching[0]


def seconds(moment) -> float:
    return to_datetime(moment).timestamp()


def day(moment) -> str:
    """A day (seconds or a datetime) as the Spanish pages write it (``|date``)."""
    return datetime.fromtimestamp(seconds(moment), MEXICO_CITY).strftime("%d/%m/%Y")


@pytest.fixture
def clock(app):
    """The app's clock, moved by the test (``clock[0] = seconds``)."""
    now = [time.time()]
    app.config["CLOCK"] = lambda: now[0]
    return now


@pytest.fixture
def synced(app, admin, teams):
    """The partner team and the CSD-less one read into the index."""
    for team in (teams["partner"], teams["eku"]):
        sync_team(app, admin, team)
    return teams


def _loose_payment(operator, api, teams) -> tuple[str, dict]:
    """A payment recorded with no automation from a client who owes a PPD invoice."""
    invoice = next(
        inv
        for inv in api.invoices.iter(
            "income", status="valid", payment_method="PPD", limit=100, team=teams["partner"]
        )
        if float(inv.get("last_balance") or 0) > 0
        and inv["client"].get("tax_id") not in ("XAXX010101000", "XEXX010101000")
    )
    answer = post_form(
        operator,
        f"/teams/{teams['partner']}/payments/new",
        payment_form(invoice["client"]["id"], idempotency_key="inbox-loose"),
    )
    assert answer.status_code == 302
    return answer.location.rsplit("/", 1)[1], invoice


def _new_receipt(operator, api, team: str) -> dict:
    """A receipt made through its form (pending, its last day ahead)."""
    new = f"/teams/{team}/receipts/new"
    key = input_value(operator.get(new).get_data(as_text=True), "idempotency_key")
    answer = post_form(operator, new, receipt_form(key))
    assert answer.status_code == 302
    return api.receipts.get(answer.location.rsplit("/", 1)[1], team=team)


def _pending_cancellation(app, team: str) -> str:
    """An invoice whose cancellation awaits the receiver (the sandbox answers at once, so
    the index is told as gigstack would say it)."""
    with app.app_context():
        entry = db.session.scalars(
            sa.select(SearchEntry).where(
                SearchEntry.team == team,
                SearchEntry.kind == "invoice",
                SearchEntry.invoice_type == "income",
                SearchEntry.status == "valid",
            )
        ).first()
        entry.cancellation_status = "pending"
        db.session.commit()
        return entry.object_id


def test_each_kind_appears_with_its_team_deadline_and_fix(
    app, admin, operator, signed_in, api, synced, clock, sandbox, restore_sandbox, monkeypatch
):
    teams, partner = synced, synced["partner"]
    payment_id, invoice = _loose_payment(operator, api, teams)
    receipt = _new_receipt(operator, api, partner)
    sync_team(app, admin, partner)  # the incremental sync picks them up
    cancelling = _pending_cancellation(app, partner)

    found = rows(admin)
    due = one(found, "complement", payment_id)
    assert due["team"] == partner and "Cumbre Digital" in due["text"]
    assert "sin automatización" in due["text"] and "Complemento de pago por emitir" in due["text"]
    assert re.search(r"\d\d/\d\d/\d{4}", due["text"])  # SAT's day-5 deadline
    assert f"/teams/{partner}/payments/{payment_id}" in due["links"]

    ppd = one(found, "ppd", invoice["uuid"])
    assert f"/teams/{partner}/invoices/{invoice['uuid']}?type=income" in ppd["links"]
    assert "Saldo PPD" in ppd["text"] and re.search(
        r"\((0–30|31–60|61–90|90\+) días\)", ppd["text"]
    )
    aging = admin.get("/inbox/").get_data(as_text=True)
    counts = re.findall(r'data-bucket="([^"]+)">[^<]*: (\d+)</span>', aging)
    assert [name for name, _ in counts] == ["0-30", "31-60", "61-90", "90+"]
    assert sum(int(n) for _, n in counts) >= len([r for r in found if r["kind"] == "ppd"])
    # each bucket is counted up to a bound (tens of thousands across 5,000 teams): past it,
    # "más de" the bound
    assert any(int(n) > 1 for _, n in counts)
    monkeypatch.setattr(items, "AGING_COUNTED_UP_TO", 1)
    capped = admin.get("/inbox/").get_data(as_text=True)
    shown = dict(re.findall(r'data-bucket="([^"]+)">[^<]*: ([^<]+)</span>', capped))
    assert shown == {name: "más de 1" if int(n) > 1 else n for name, n in counts}

    cancel = one(found, "cancellation", cancelling)
    assert "Cancelación pendiente" in cancel["text"] and "respuesta del receptor" in cancel["text"]
    assert f"/teams/{partner}/invoices/{cancelling}?type=income" in cancel["links"]

    unready = one(found, "not_ready", teams["eku"])
    assert "Sin CSD" in unready["text"] and f"/teams/{teams['eku']}/" in unready["links"]

    # a weekly receipt: its last day is this week's end, unstamped
    expiring = one(found, "receipt", receipt["id"])
    assert day(receipt["validUntil"]) in expiring["text"]
    assert f"/teams/{partner}/receipts/{receipt['id']}" in expiring["links"]
    clock[0] = seconds(receipt["validUntil"]) + 60  # past it: expired, nothing left to do
    admin = signed_in("admin")  # a session of that day
    assert not any(row["object"] == receipt["id"] for row in rows(admin))

    # the CSD ten days before it expires
    expires = sandbox.store.teams[partner]["sat"]["csd_expires_at"]
    clock[0] = seconds(expires) - 10 * 86400
    found = rows(signed_in("admin"))
    csd = one(found, "csd", partner)
    assert day(expires) in csd["text"] and f"/teams/{partner}/csd" in csd["links"]
    assert "días restantes" in csd["text"]
    deadlines = [
        datetime.strptime(m.group(0), "%d/%m/%Y").date()
        for row in found
        if row["kind"] in ("csd", "complement", "receipt")
        for m in [re.search(r"\d\d/\d\d/\d{4}", row["text"])]
    ]
    assert deadlines == sorted(deadlines)  # soonest first


def test_filters_by_kind_and_team(app, admin, synced):
    teams = synced
    every = rows(admin)
    assert {row["kind"] for row in every} >= {"not_ready", "ppd"}
    only_ppd = rows(admin, kind="ppd")
    assert only_ppd and {row["kind"] for row in only_ppd} == {"ppd"}
    eku = rows(admin, team=teams["eku"])
    assert eku and {row["team"] for row in eku} == {teams["eku"]}
    by_name = rows(admin, team="cumbre")
    assert by_name and {row["team"] for row in by_name} == {teams["partner"]}
    nothing = admin.get("/inbox/", query_string={"team": "zzz-ningun-equipo"})
    assert "Ninguna fila coincide con estos filtros" in text_of(nothing.get_data(as_text=True))
    page = admin.get("/inbox/", query_string={"kind": "nada"})  # an unknown kind: every kind
    assert page.status_code == 200


def test_one_kind_comes_in_pages_with_every_filter_kept(app, admin, synced, monkeypatch):
    """One kind alone: pages of the back office's length, in the same order as one long list,
    a pager that keeps the filters, and a bound on the pages offered (each page reads the rows
    before it again); every kind together stays one page of the most urgent of each."""
    monkeypatch.setattr(items, "CAP_ONE_KIND", 1000)
    everything = [row["object"] for row in rows(admin, kind="ppd", team="cumbre")]
    assert len(everything) > 7
    monkeypatch.setattr(items, "CAP_ONE_KIND", 3)
    monkeypatch.setattr(items, "PAGES_OF_ONE_KIND", 2)

    first = admin.get("/inbox/", query_string={"kind": "ppd", "team": "cumbre"})
    html = unescape(first.get_data(as_text=True))
    assert [row["object"] for row in rows(admin, kind="ppd", team="cumbre")] == everything[:3]
    assert "/inbox/?kind=ppd&team=cumbre&page=2" in html
    assert "Más urgentes" not in text_of(html)  # no first page to go back to
    second = rows(admin, kind="ppd", team="cumbre", page="2")
    assert [row["object"] for row in second] == everything[3:6]
    # the last page offered: no next page, and it says where the list stops and what to do
    last = admin.get("/inbox/", query_string={"kind": "ppd", "team": "cumbre", "page": "2"})
    last_html = unescape(last.get_data(as_text=True))
    assert "page=3" not in last_html and "/inbox/?kind=ppd&team=cumbre" in last_html
    assert "Más urgentes" in text_of(last_html)
    assert "La lista termina tras sus primeras 6 filas: filtra por equipo" in text_of(last_html)
    # the pager swaps the list in place (htmx) and the fragment pages the same way
    fragment = admin.get(
        "/inbox/?kind=ppd&team=cumbre&page=2",
        headers={"HX-Request": "true", "HX-Target": "inbox-list"},
    ).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-target="#inbox-list"' in fragment
    assert [o for o in everything[3:6] if f'data-object="{o}"' in fragment] == everything[3:6]
    # pages out of range or not numbers: the nearest page, never an error
    assert [row["object"] for row in rows(admin, kind="ppd", team="cumbre", page="99")] == (
        everything[3:6]
    )
    for wrong in ("0", "-1", "abc", "²", "9" * 40):
        got = rows(admin, kind="ppd", team="cumbre", page=wrong)
        assert [row["object"] for row in got] == everything[:3], wrong
    # every kind: one page, the page number ignored, the old advice kept
    monkeypatch.setattr(items, "CAP", 2)
    every = admin.get("/inbox/", query_string={"page": "2"}).get_data(as_text=True)
    assert 'class="pager"' not in every
    assert [row["object"] for row in rows(admin, page="2") if row["kind"] == "ppd"] == (
        [row["object"] for row in rows(admin) if row["kind"] == "ppd"][:2]
    )
    assert "filtra por tipo o equipo" in text_of(every)


def _snooze(browser, kind: str, team: str, obj: str, **data):
    path = f"/inbox/snooze?kind={kind}&team={team}&object={obj}"
    form = browser.get(path)
    assert form.status_code == 200
    return post_form(browser, path, data)


def test_a_snooze_needs_a_reason_hides_the_row_until_its_day_and_is_audited(
    app, signed_in, operator, viewer, synced, clock
):
    eku = synced["eku"]
    today = datetime.fromtimestamp(clock[0], MEXICO_CITY).date()
    until = today + timedelta(days=3)
    refused = _snooze(operator, "not_ready", eku, eku, until=until.isoformat(), reason="  ")
    assert refused.status_code == 422
    assert "Di por qué puede esperar" in text_of(refused.get_data(as_text=True))
    past = _snooze(operator, "not_ready", eku, eku, until=today.isoformat(), reason="ok")
    assert past.status_code == 422
    assert viewer.get(f"/inbox/snooze?kind=not_ready&team={eku}&object={eku}").status_code == 403
    assert any(row["object"] == eku for row in rows(operator, kind="not_ready"))

    reason = "El cliente manda su CSD el lunes <b>sin falta</b>"
    done = _snooze(operator, "not_ready", eku, eku, until=until.isoformat(), reason=reason)
    assert done.status_code == 302 and done.location == "/inbox/"
    assert not any(row["object"] == eku for row in rows(operator, kind="not_ready"))
    snoozed = rows(operator, kind="not_ready", snoozed="1")
    assert [row["object"] for row in snoozed] == [eku]
    assert reason in snoozed[0]["text"]  # kept as typed, shown escaped
    assert "&lt;b&gt;sin falta" in operator.get("/inbox/?snoozed=1").get_data(as_text=True)
    (entry,) = audit_rows(app, "inbox.snooze")
    assert (entry.team, entry.object_type, entry.object_id) == (eku, "not_ready", eku)
    assert entry.reason == reason

    clock[0] += 3 * 86400  # its day: it shows again
    later = signed_in("operator")
    assert any(row["object"] == eku for row in rows(later, kind="not_ready"))
    assert rows(later, kind="not_ready", snoozed="1") == []


def test_a_staff_member_never_sees_a_team_outside_their_reach(app, admin, signed_in, synced):
    teams = synced
    limited = signed_in("operator", team_ids=[teams["eku"]])
    found = rows(limited)
    assert found and {row["team"] for row in found} == {teams["eku"]}
    assert rows(limited, team=teams["partner"]) == []
    assert rows(limited, team="cumbre") == []
    ppd = next(row for row in rows(admin, kind="ppd"))
    path = f"/inbox/snooze?kind=ppd&team={teams['partner']}&object={ppd['object']}"
    assert limited.get(path).status_code == 404
    assert post_form(limited, path, {"until": "2999-01-01", "reason": "x"}).status_code == 404
    page = limited.get("/inbox/").get_data(as_text=True)
    assert teams["partner"] not in page and "Cumbre Digital" not in page


def test_the_inbox_answers_in_a_bounded_number_of_queries(app, admin, teams, sandbox_requests):
    """More teams in the index, the same number of statements (no per-team query), and no
    gigstack list read."""

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin.get("/inbox/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    sync_team(app, admin, teams["eku"])
    few = statements()
    for team in teams["subs"][:3]:
        sync_team(app, admin, team)
    sandbox_requests.clear()
    assert statements() == few
    read = {r.path for r in sandbox_requests}
    assert not [path for path in read if not path.startswith("/v2/teams")], read


def test_the_nav_links_the_inbox_in_both_languages(admin, english):
    page = admin.get("/inbox/").get_data(as_text=True)
    assert re.search(r'<a href="/inbox/" aria-current="page">Pendientes</a>', page)
    assert "Bandeja de atención" in text_of(page)
    english(admin)
    page = admin.get("/inbox/").get_data(as_text=True)
    assert re.search(r'<a href="/inbox/" aria-current="page">Inbox</a>', page)
    assert "Attention inbox" in text_of(page)
