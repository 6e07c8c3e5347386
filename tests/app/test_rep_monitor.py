"""The REP monitor against the seeded PPD invoices, read from the search index (the team's
sync run first): open balances listed, a payment recorded without its complement listed by
deadline once the index has it, and the link that fixes it; no upstream call on the page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.app.helpers import (
    input_value,
    payment_form,
    post_form,
    sync_team,
    text_of,
    upstream_calls,
)
from tests.support.rep_rows import (
    complement_object,
    every_rules_row,
    moment,
    payment_object,
    ppd_invoice,
    rules_rows,
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


def test_payments_without_their_complement_are_due_by_deadline(app):
    from webapp.extensions import db
    from webapp.rep.monitor import report
    from webapp.search import rows

    with app.app_context():
        with db.engine.begin() as conn:
            rows.upsert(conn, every_rules_row(RULES_TEAM), moment(2026, 12, 3))
        found = report(RULES_TEAM, moment(2026, 12, 3, 18), 5, 180, 25, 200)
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
        payment_object(f"oct{n}", "c9", "ppd_invoice_and_complement", moment(2026, 10, 10 + n))
        for n in range(3)
    ] + [payment_object("nov", "c9", "ppd_invoice_and_complement", moment(2026, 11, 20))]
    with app.app_context():
        with db.engine.begin() as conn:
            indexed = [rows.payment_row("team_count", p) for p in payments]
            rows.upsert(conn, indexed, moment(2026, 12, 3))
        capped = report("team_count", moment(2026, 12, 3, 18), 5, 180, 25, 2)
        whole = report("team_count", moment(2026, 12, 3, 18), 5, 180, 25, 25)
        on_the_6th = report("team_count", moment(2026, 12, 6, 18), 5, 180, 25, 2)
    assert [row.payment.object_id for row in capped.due] == ["oct0", "oct1"]
    assert (capped.due_total, capped.overdue) == (4, 3) == (whole.due_total, whole.overdue)
    assert (on_the_6th.due_total, on_the_6th.overdue) == (4, 4)


def _stored_due(team: str) -> dict[str, bool]:
    """Each payment of ``team``: its stored fact, checked against the rule asked afresh."""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.search.models import SearchEntry

    found = db.session.execute(
        sa.select(SearchEntry.object_id, SearchEntry.complement_due, monitor.is_due()).where(
            SearchEntry.team == team, SearchEntry.kind == "payment"
        )
    ).all()
    assert all(bool(stored) == bool(afresh) for _id, stored, afresh in found), found
    return {object_id: bool(stored) for object_id, stored, _afresh in found}


def test_whether_a_payment_is_due_does_not_depend_on_the_order_its_rows_arrive(app):
    """The due fact is stored by the writers: the payment, its complement and the client's
    PPD invoices reach the index in any order (pages of different lists, webhooks), each
    order ends with the same payments due."""
    from itertools import permutations

    from webapp.extensions import db
    from webapp.search import rows

    with app.app_context():
        for n, order in enumerate(permutations(("invoices", "complements", "payments"))):
            team = f"team_order_{n}"
            written = rules_rows(team)
            for group in order:  # each group in a transaction of its own, as a sync page
                with db.engine.begin() as conn:
                    rows.upsert(conn, written[group], moment(2026, 12, 3))
            assert {k for k, due in _stored_due(team).items() if due} == {"loose", "undone"}
            found = monitor.report(team, moment(2026, 12, 3, 18), 5, 180, 25, 25)
            assert [row.payment.object_id for row in found.due] == ["loose", "undone"], order
            db.session.rollback()


def test_a_change_to_another_row_moves_a_payment_in_or_out_of_due(app):
    """The client pays its PPD invoices off, a failed automation's complement turns up and
    then goes from gigstack (deleted through ``rows.delete``, as the sync's full pass deletes
    too): each change of another row is seen."""
    from webapp.extensions import db
    from webapp.gigstack.errors import NotFound
    from webapp.search import rows
    from webapp.search.reindex import reindex

    class Gone:
        """A gigstack that has no such invoice any more (the webhook's re-read: 404)."""

        class invoices:  # noqa: N801
            @staticmethod
            def get(_uuid, _invoice_type):
                raise NotFound("gone")

    team = "team_changes"
    with app.app_context():
        with db.engine.begin() as conn:
            rows.upsert(conn, every_rules_row(team), moment(2026, 12, 3))
        assert {k for k, due in _stored_due(team).items() if due} == {"loose", "undone"}
        db.session.rollback()

        paid_off = [
            rows.invoice_row(team, "income", ppd_invoice(uuid, "c1", 0, created))
            for uuid, created in (("A", moment(2026, 9, 1)), ("B", moment(2026, 10, 2)))
        ]
        with db.engine.begin() as conn:
            rows.upsert(conn, paid_off, moment(2026, 12, 4))
        assert {k for k, due in _stored_due(team).items() if due} == {"undone"}
        db.session.rollback()

        stamped = rows.invoice_row(team, "payment", complement_object("C2", "undone", "valid"))
        with db.engine.begin() as conn:
            rows.upsert(conn, [stamped], moment(2026, 12, 4))
        assert not any(_stored_due(team).values())
        db.session.rollback()

        assert reindex(db.engine, Gone, team, "invoice", "C2").outcome == "deleted"
        assert {k for k, due in _stored_due(team).items() if due} == {"undone"}
        db.session.rollback()
