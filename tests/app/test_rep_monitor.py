"""The REP monitor against the seeded PPD invoices, read from the search index (the team's
sync run first): open balances listed, a payment recorded without its complement listed by
deadline once the index has it, and the link that fixes it; no upstream call on the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from tests.app.helpers import (
    input_value,
    payment_form,
    post_form,
    sync_team,
    text_of,
    upstream_calls,
)
from webapp.rep import monitor

pytestmark = pytest.mark.databases
RULES_TEAM = "team_rules"


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/rep/"


def _open_ppd(api, teams) -> list[dict]:
    return [
        inv
        for inv in api.invoices.iter(
            "income", status="valid", payment_method="PPD", limit=100, team=teams["partner"]
        )
        if inv.get("payment_method") == "PPD" and float(inv.get("last_balance") or 0) > 0
    ]


@pytest.fixture
def indexed(app, admin, teams):
    """The partner team read into the search index."""
    return sync_team(app, admin, teams["partner"])


def test_the_open_ppd_invoices_are_listed_with_their_fix(viewer, api, teams, indexed):
    expected = _open_ppd(api, teams)
    assert expected, "the seed has PPD invoices with a balance"
    page = viewer.get(_base(teams))
    html = page.get_data(as_text=True)
    listed = re.findall(r'<tr data-invoice="([^"]+)">', html)
    assert set(listed) == {inv["uuid"] for inv in expected}
    assert "Monitor de REP" in text_of(html)
    assert upstream_calls(page) == 0  # from the index, not gigstack


def test_the_monitor_reads_the_index_so_gigstack_failing_does_not_matter(
    viewer, teams, indexed, faults
):
    faults({"rules": [{"method": "GET", "path": "/invoices/*", "status": 503}]})
    page = viewer.get(_base(teams))
    assert page.status_code == 200 and re.search(r"<tr data-invoice=", page.get_data(as_text=True))
    read = text_of(page.get_data(as_text=True).split('data-testid="rep-read-at"')[1])
    assert re.search(r"\d+ objetos en el índice", read), read


def test_a_team_not_indexed_yet_says_so(viewer, teams):
    html = text_of(viewer.get(_base(teams)).get_data(as_text=True))
    assert "Aún no está en el índice" in html and "Ninguna factura PPD tiene saldo" in html


def test_a_payment_without_its_complement_is_due_and_fixed_from_the_monitor(
    app, admin, operator, api, sandbox, teams, restore_sandbox, indexed
):
    invoice = next(
        inv
        for inv in _open_ppd(api, teams)
        if inv["client"].get("tax_id") not in ("XAXX010101000", "XEXX010101000")
    )
    client_id = invoice["client"]["id"]
    loose = post_form(
        operator,
        f"/teams/{teams['partner']}/payments/new",
        payment_form(client_id, idempotency_key="rep-loose", **{"items-0-unit_price": "10"}),
    )
    assert loose.status_code == 302
    payment_id = loose.headers["Location"].rsplit("/", 1)[1]
    before = operator.get(_base(teams)).get_data(as_text=True)
    assert f'data-payment="{payment_id}"' not in before  # not in the index yet
    sync_team(app, admin, teams["partner"])  # the incremental sync picks it up
    html = operator.get(_base(teams)).get_data(as_text=True)
    assert payment_id in html
    row = re.search(rf'<tr data-payment="{payment_id}">(.*?)</tr>', html, re.S)
    assert row and "sin automatización" in text_of(row.group(1))
    assert "días restantes" in text_of(row.group(1)) or "día restante" in text_of(row.group(1))
    fix = re.search(rf'href="([^"]*ppd_invoice_id={invoice["uuid"]}[^"]*)"', html).group(1)
    form = operator.get(fix.replace("&amp;", "&")).get_data(as_text=True)
    # the payment on that invoice: it is chosen and the amount is its balance
    assert re.search(rf'<option selected value="{invoice["uuid"]}"', form)
    assert input_value(form, "client_id") == client_id
    assert float(input_value(form, "amount")) == invoice["last_balance"]
    assert 'name="items-0-description"' not in form  # no items to invent


def test_another_teams_monitor_is_not_found(viewer, teams):
    assert viewer.get(f"/teams/{teams['outsider']}/rep/").status_code == 404


def test_a_long_list_shows_the_oldest_and_counts_the_rest(viewer, api, teams, monkeypatch, indexed):
    import webapp.rep.routes as rep_routes

    monkeypatch.setattr(rep_routes, "SHOWN_OPEN", 2)
    expected = sorted(_open_ppd(api, teams), key=lambda inv: inv["created_at"])
    html = viewer.get(_base(teams)).get_data(as_text=True)
    assert re.findall(r'<tr data-invoice="([^"]+)">', html) == [i["uuid"] for i in expected[:2]]
    assert f"de {len(expected)}" in text_of(html) and "payment_method=PPD" in html
    # counted up to a bound (a team of 100,000 documents is not read whole): past it, "over"
    monkeypatch.setattr(monitor, "OPEN_COUNTED_UP_TO", 2)
    assert len(expected) > 2
    capped = text_of(viewer.get(_base(teams)).get_data(as_text=True))
    assert "Se muestran las 2 más antiguas de más de 2." in capped, capped


def test_each_open_invoice_shows_its_status_as_the_badge_every_list_uses(viewer, teams, indexed):
    """An invoice's status reads the same on every screen (one macro, invoice_badge)."""
    html = viewer.get(_base(teams)).get_data(as_text=True)
    rows = re.findall(r'<tr data-invoice="[^"]+">(.*?)</tr>', html, re.S)
    assert rows and all('<span class="badge badge-ok">Vigente</span>' in row for row in rows)


# -- the rules on index rows (one implementation for this page and the inbox) ---------------


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _invoice(uuid: str, client: str, balance: float, created: datetime) -> dict:
    return {
        "uuid": uuid,
        "status": "valid",
        "payment_method": "PPD",
        "last_balance": balance,
        "client": {"id": client},
        "created_at": created.isoformat(),
        "total": 100,
    }


def _payment(pid: str, client: str, automation: str, paid: datetime, status="succeeded"):
    return {
        "id": pid,
        "status": status,
        "automation_type": automation,
        "client": {"id": client},
        "succeeded_at": paid.isoformat(),
        "created_at": paid.isoformat(),
        "total": 100,
    }


def _complement(uuid: str, payment_id: str, status: str) -> dict:
    return {"uuid": uuid, "status": status, "payment_complement": {"payment_id": payment_id}}


def test_payments_without_their_complement_are_due_by_deadline(app):
    from webapp.extensions import db
    from webapp.rep.monitor import report
    from webapp.search import rows

    invoices = [
        _invoice("B", "c1", 50, _at(2026, 10, 2)),
        _invoice("A", "c1", 10, _at(2026, 9, 1)),
        _invoice("PAID", "c2", 0, _at(2026, 9, 1)),
    ]
    complements = [_complement("C1", "done", "valid"), _complement("C2", "undone", "cancelled")]
    payments = [
        _payment("done", "c1", "ppd_invoice_and_complement", _at(2026, 11, 3)),
        _payment("undone", "c2", "ppd_invoice_and_complement", _at(2026, 11, 20)),
        _payment("loose", "c1", "none", _at(2026, 10, 9)),
        _payment("plain", "c3", "none", _at(2026, 10, 9)),
        _payment("early", "c1", "none", _at(2026, 8, 1)),  # before any PPD invoice
        _payment("pue", "c1", "pue_invoice", _at(2026, 10, 9)),
        _payment("pending", "c1", "ppd_invoice_and_complement", _at(2026, 10, 9), "pending"),
    ]
    with app.app_context():
        with db.engine.begin() as conn:
            rows.upsert(
                conn,
                [rows.invoice_row(RULES_TEAM, "income", i) for i in invoices]
                + [rows.invoice_row(RULES_TEAM, "payment", c) for c in complements]
                + [rows.payment_row(RULES_TEAM, p) for p in payments],
                _at(2026, 12, 3),
            )
        found = report(RULES_TEAM, _at(2026, 12, 3, 18), 5, 180, 25, 200)
    assert [inv.object_id for inv in found.open_invoices] == ["A", "B"]  # oldest first
    assert found.open_total == 2
    assert [(row.payment.object_id, row.why) for row in found.due] == [
        ("loose", "unlinked"),
        ("undone", "failed"),
    ]
    assert found.due[0].owed == 2
    assert [row.due for row in found.due] == [date(2026, 11, 5), date(2026, 12, 5)]
    assert [row.days_left for row in found.due] == [-28, 2] and found.overdue == 1


def test_more_payments_due_than_listed_are_counted_with_their_overdue_ones(app):
    from webapp.extensions import db
    from webapp.rep.monitor import report
    from webapp.search import rows

    payments = [  # deadline the 5th of the next month: on Dec 3, October's are late
        _payment(f"oct{n}", "c9", "ppd_invoice_and_complement", _at(2026, 10, 10 + n))
        for n in range(3)
    ] + [_payment("nov", "c9", "ppd_invoice_and_complement", _at(2026, 11, 20))]
    with app.app_context():
        with db.engine.begin() as conn:
            indexed = [rows.payment_row("team_count", p) for p in payments]
            rows.upsert(conn, indexed, _at(2026, 12, 3))
        capped = report("team_count", _at(2026, 12, 3, 18), 5, 180, 25, 2)
        whole = report("team_count", _at(2026, 12, 3, 18), 5, 180, 25, 25)
        on_the_6th = report("team_count", _at(2026, 12, 6, 18), 5, 180, 25, 2)
    assert [row.payment.object_id for row in capped.due] == ["oct0", "oct1"]
    assert (capped.due_total, capped.overdue) == (4, 3) == (whole.due_total, whole.overdue)
    assert (on_the_6th.due_total, on_the_6th.overdue) == (4, 4)
