"""Invoices: lists per type with filters in the URL, search by UUID prefix / folio / RFC, the
detail page, and downloads under good names (the XML byte for byte, the PDF renders, the ZIP
holds both). Viewers may download."""

from __future__ import annotations

import html as html_lib
import io
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pytest

from tests.app.helpers import facts, htmx_headers, said, text_of, upstream_calls
from tests.support.tools import require_tool

pytestmark = pytest.mark.databases

TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/invoices/"


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-invoice="([^"]+)">', html)


@pytest.mark.parametrize(("path", "kind"), [("", "I"), ("egress/", "E"), ("payment/", "P")])
def test_each_tab_lists_its_type(viewer, stored, teams, path, kind):
    html = viewer.get(_base(teams) + path).get_data(as_text=True)
    listed = _rows(html)
    assert listed
    types = {inv["uuid"]: inv["invoice_type"] for inv in stored("invoices", teams["partner"])}
    assert {types[uuid] for uuid in listed} == {kind}


def test_filters_live_in_the_url_and_apply(viewer, stored, teams):
    ppd = viewer.get(_base(teams), query_string={"payment_method": "PPD"}).get_data(as_text=True)
    methods = {
        inv["uuid"]: inv.get("payment_method") for inv in stored("invoices", teams["partner"])
    }
    assert _rows(ppd) and {methods[u] for u in _rows(ppd)} == {"PPD"}
    assert "Saldo PPD" in ppd
    cancelled = viewer.get(_base(teams), query_string={"status": "cancelled"})
    statuses = {inv["uuid"]: inv["status"] for inv in stored("invoices", teams["partner"])}
    assert {statuses[u] for u in _rows(cancelled.get_data(as_text=True))} <= {"cancelled"}
    fragment = viewer.get(
        _base(teams), query_string={"series": "A"}, headers=htmx_headers("invoices-list")
    ).get_data(as_text=True)
    assert "<html" not in fragment and _rows(fragment)


@pytest.mark.parametrize("how", ["uuid_prefix", "folio", "rfc"])
def test_one_search_box_finds_by_uuid_folio_or_rfc(viewer, stored, teams, how):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    query = {
        "uuid_prefix": invoice["uuid"][:8],
        "folio": f"{invoice['series']}-{invoice['folio_number']}",
        "rfc": invoice["client"]["tax_id"],
    }[how]
    html = viewer.get(_base(teams), query_string={"q": query}).get_data(as_text=True)
    assert invoice["uuid"] in _rows(html)


def test_detail_shows_parties_items_with_catalogue_names_and_totals(viewer, stored, teams):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", payment_method="PPD")
    html = viewer.get(_base(teams) + invoice["uuid"]).get_data(as_text=True)
    text = text_of(html)
    assert invoice["uuid"] in text and invoice["client"]["tax_id"] in text
    assert "99 — " in text or "Por definir" in text  # the payment form's catalogue name
    assert "Saldo aún sin pagar" in text and f"Factura {invoice['series']}-" in text
    item = invoice["items"][0]
    assert item["product_key"] in html


def _paid_by_a_complement(stored, teams) -> dict:
    complement = stored.one("invoices", teams["partner"], invoice_type="P")
    paid = complement["payment_complement"]["related_invoices"][0]["uuid"]
    return stored.one("invoices", teams["partner"], uuid=paid)


@pytest.mark.parametrize(
    "fault",
    [
        {"rules": [{"method": "GET", "path": "/invoices/payment", "status": 503}]},
        {"hangs": [{"method": "GET", "path": "/invoices/payment", "seconds": 3}]},
    ],
    ids=["fails", "hangs"],
)
def test_complements_that_could_not_be_read_are_said_never_none(
    sandbox, keys, stored, teams, faults, fault
):
    """Before: "Sin complementos todavía" for an invoice that has one (the error swallowed)."""
    from tests.app.conftest import add_staff, make_app, sign_in

    app = make_app(
        sandbox.api_url,
        keys["partner_test"]["key"],
        GIGSTACK_TIMEOUT_READ=0.5,
        GIGSTACK_BUDGET_SECONDS=1.0,
    )
    try:
        add_staff(app, "panel@staff.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "panel@staff.test").status_code == 302
        invoice = _paid_by_a_complement(stored, teams)
        faults(fault)
        page = browser.get(_base(teams) + invoice["uuid"] + "?type=income")
        # the complements are read by the page's lazy relations panel, as htmx asks for it
        answer = browser.get(
            _base(teams) + invoice["uuid"] + "/relations?type=income",
            headers={"HX-Request": "true", "HX-Target": "invoice-relations"},
        )
        text = text_of(answer.get_data(as_text=True))
    finally:
        app.extensions["gigstack"].close()
    assert page.status_code == 200 and invoice["uuid"] in text_of(page.get_data(as_text=True))
    assert answer.status_code == 200
    assert "Sin complementos todavía" not in text and "No se pudo leer." in text
    assert "Esta parte de la página no se pudo cargar" in text
    retry = r'<a class="button" href="[^"]+">Reintentar</a>'
    assert re.search(retry, answer.get_data(as_text=True))


def test_another_teams_invoice_is_not_found(viewer, stored, teams):
    other = stored("invoices", teams["subs"][2])[0]
    assert viewer.get(_base(teams) + other["uuid"]).status_code == 404
    assert viewer.get(_base(teams) + "not-a-uuid/pdf").status_code == 404


def test_downloads_under_good_names(viewer, stored, teams, tmp_path):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    rfc = stored.team(teams["partner"])["tax_id"]
    stem = f"{rfc}_{invoice['series']}{invoice['folio_number']}_{invoice['uuid']}"
    pdf = viewer.get(f"{_base(teams)}{invoice['uuid']}/pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{stem}.pdf"'
    xml = viewer.get(f"{_base(teams)}{invoice['uuid']}/xml")
    root = ET.fromstring(xml.get_data())
    assert root.find(f".//{TFD}").get("UUID") == invoice["uuid"]
    archive = zipfile.ZipFile(
        io.BytesIO(viewer.get(f"{_base(teams)}{invoice['uuid']}/zip").get_data())
    )
    assert sorted(archive.namelist()) == [f"{stem}.pdf", f"{stem}.xml"]
    assert archive.read(f"{stem}.xml") == xml.get_data()  # byte for byte
    require_tool("pdftoppm")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf.get_data())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")], check=True, timeout=60
    )
    assert list(tmp_path.glob("page*.png"))


def _download_links(viewer, teams, invoice) -> dict[str, str]:
    """The detail page's download links, by file type."""
    html = viewer.get(_base(teams) + invoice["uuid"]).get_data(as_text=True)
    found = re.findall(r'href="([^"]*/(pdf|xml|zip)(?:\?[^"]*)?)" download', html)
    return {file_type: html_lib.unescape(url) for url, file_type in found}


@pytest.mark.parametrize(
    ("invoice_type", "kind"), [("I", "income"), ("E", "egress"), ("P", "payment")]
)
def test_a_download_asks_one_round_of_calls_then_the_file(
    viewer, stored, teams, sandbox_requests, invoice_type, kind
):
    invoice = stored.one("invoices", teams["partner"], invoice_type=invoice_type, status="valid")
    uuid = invoice["uuid"]
    links = _download_links(viewer, teams, invoice)
    assert sorted(links) == ["pdf", "xml", "zip"]
    assert all(url.endswith(f"?type={kind}") for url in links.values())  # the page knew it
    assert viewer.get(links["pdf"]).mimetype == "application/pdf"  # the team is kept from here
    sandbox_requests.clear()
    xml = viewer.get(links["xml"])
    assert xml.mimetype == "application/xml" and upstream_calls(xml) == 3
    first_round, file = sandbox_requests[:2], sandbox_requests[2:]
    assert sorted(r.path for r in first_round) == sorted(
        [f"/v2/invoices/{kind}/{uuid}", f"/v2/invoices/{uuid}/files"]
    )
    assert [r.path.split("/")[1] for r in file] == ["files"]
    archive = viewer.get(links["zip"])
    assert upstream_calls(archive) == 4  # the invoice and both links, then the two files
    names = zipfile.ZipFile(io.BytesIO(archive.get_data())).namelist()
    assert sorted(name.rsplit(".", 1)[1] for name in names) == ["pdf", "xml"]


def test_an_old_link_without_the_type_still_downloads_in_one_round(viewer, stored, teams):
    invoice = stored.one("invoices", teams["partner"], invoice_type="E", status="valid")
    path = f"{_base(teams)}{invoice['uuid']}/pdf"
    viewer.get(path, query_string={"type": "egress"})  # the team is kept from here
    old = viewer.get(path)
    # the three typed gets and the links at once, then the file
    assert old.mimetype == "application/pdf" and upstream_calls(old) == 5


@pytest.mark.parametrize("type_", ["egress", "payment", "receipt", ""])
def test_a_download_of_another_type_is_not_found(viewer, stored, teams, type_):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    answer = viewer.get(f"{_base(teams)}{invoice['uuid']}/pdf", query_string={"type": type_})
    assert answer.status_code == 404
    assert "Página no encontrada" in text_of(answer.get_data(as_text=True))


def test_a_download_of_an_unknown_invoice_is_not_found(viewer, teams):
    missing = "00000000-0000-4000-8000-000000000000"
    for query in ({"type": "income"}, {}):
        answer = viewer.get(f"{_base(teams)}{missing}/zip", query_string=query)
        assert answer.status_code == 404
        assert "Página no encontrada" in text_of(answer.get_data(as_text=True))


def test_the_file_url_never_reaches_the_browser(viewer, stored, teams):
    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    answer = viewer.get(f"{_base(teams)}{invoice['uuid']}/pdf")
    assert "signature=" not in str(answer.headers) and "/files/" not in str(answer.headers)
    page = viewer.get(_base(teams) + invoice["uuid"]).get_data(as_text=True)
    assert "signature=" not in page


def test_gigstack_down_is_a_banner(viewer, teams, faults):
    faults(
        {"rules": [{"method": "GET", "path": "/invoices/income", "status": 503, "retry_after": 0}]}
    )
    answer = viewer.get(_base(teams))
    assert answer.status_code == 502 and "Reintentar" in answer.get_data(as_text=True)


# -- send and cancel -------------------------------------------------------------------------


def test_send_prefills_the_client_and_says_who_received_it(app, operator, stored, teams):
    from tests.app.helpers import audit_rows, field_error, input_value, post_form

    invoice = next(
        inv
        for inv in stored("invoices", teams["partner"])
        if inv["invoice_type"] == "I" and inv["client"].get("email")
    )
    path = f"{_base(teams)}{invoice['uuid']}/send"
    assert invoice["client"]["email"] in input_value(
        operator.get(path).get_data(as_text=True), "emails"
    )
    bad = post_form(operator, path, {"emails": "uno@ejemplo.mx, no-es-correo"})
    assert bad.status_code == 422
    assert "separados por comas" in field_error(bad.get_data(as_text=True), "emails")
    sent = post_form(
        operator, path, {"emails": "conta@ejemplo.mx, dueno@ejemplo.mx"}, htmx="send-form"
    )
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "conta@ejemplo.mx" in html and "dueno@ejemplo.mx" in html
    assert audit_rows(app, "invoice.send")[-1].object_id == invoice["uuid"]


def test_send_says_when_the_clients_copies_could_not_be_read(operator, stored, teams, faults):
    """Before: the client's bcc silently left out of the recipients when its read failed."""
    from tests.app.helpers import input_value

    invoice = next(
        inv
        for inv in stored("invoices", teams["partner"])
        if inv["invoice_type"] == "I" and inv["client"].get("email")
    )
    faults({"rules": [{"method": "GET", "path": "/clients/*", "status": 503}]})
    page = operator.get(f"{_base(teams)}{invoice['uuid']}/send")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert input_value(html, "emails") == invoice["client"]["email"]  # what the invoice knows
    assert 'data-testid="send-client-failed"' in html and "Reintentar" in html


def test_cancel_motive_01_needs_a_valid_substitute_of_the_same_client(
    app, operator, stored, teams, restore_sandbox
):
    from collections import Counter

    from tests.app.helpers import audit_rows, field_error, post_form

    valid = stored("invoices", teams["partner"], invoice_type="I", status="valid")
    by_client = Counter(inv["client"]["id"] for inv in valid)
    client_id = next(cid for cid, count in by_client.items() if count >= 2)
    target, substitute = [inv for inv in valid if inv["client"]["id"] == client_id][:2]
    path = f"{_base(teams)}{target['uuid']}/cancel"
    page = operator.get(path).get_data(as_text=True)
    assert substitute["uuid"] in page and "La venta o el servicio no se realizó." in page
    missing = post_form(operator, path, {"motive": "01", "reason": "folio duplicado"})
    assert missing.status_code == 422
    assert "necesita la factura que sustituye" in field_error(
        missing.get_data(as_text=True), "substitution_uuid"
    )
    no_reason = post_form(operator, path, {"motive": "02", "reason": ""})
    assert "Explica por qué" in field_error(no_reason.get_data(as_text=True), "reason")
    done = post_form(
        operator,
        path,
        {"motive": "01", "substitution_uuid": substitute["uuid"], "reason": "folio duplicado"},
    )
    assert done.status_code == 302
    after = stored.one("invoices", teams["partner"], uuid=target["uuid"])
    assert after["status"] == "cancelled" and after["substitution_uuid"] == substitute["uuid"]
    entry = audit_rows(app, "invoice.cancel")[-1]
    assert entry.outcome == "ok" and "motive 01" in said(app, entry)
    trail = operator.get(f"{_base(teams)}{target['uuid']}").get_data(as_text=True)
    assert "invoice.cancel" in trail  # the detail page's back-office trail
    again = operator.get(path).get_data(as_text=True)
    assert "ya está cancelado" in again


def test_cancelling_with_a_forged_substitute_shows_gigstacks_refusal(app, operator, stored, teams):
    from tests.app.helpers import post_form

    target = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    answer = post_form(
        operator,
        f"{_base(teams)}{target['uuid']}/cancel",
        {"motive": "01", "substitution_uuid": target["uuid"], "reason": "prueba"},
    )
    assert answer.status_code == 422
    assert stored.one("invoices", teams["partner"], uuid=target["uuid"])["status"] == "valid"


def test_viewers_may_download_but_not_send_or_cancel(viewer, stored, teams):
    from tests.app.helpers import post_form

    invoice = stored.one("invoices", teams["partner"], invoice_type="I", status="valid")
    assert viewer.get(f"{_base(teams)}{invoice['uuid']}/xml").status_code == 200
    for verb in ("send", "cancel"):
        assert viewer.get(f"{_base(teams)}{invoice['uuid']}/{verb}").status_code == 403
        assert (
            post_form(
                viewer, f"{_base(teams)}{invoice['uuid']}/{verb}", {"motive": "02"}
            ).status_code
            == 403
        )


@pytest.mark.parametrize(
    ("path", "kind"), [("", "income"), ("egress/", "egress"), ("payment/", "payment")]
)
def test_a_list_links_each_invoice_with_its_type_and_its_detail_asks_one_typed_get(
    viewer, teams, sandbox_requests, path, kind
):
    html = viewer.get(_base(teams) + path).get_data(as_text=True)
    links = re.findall(
        r'<tr data-invoice="([^"]+)">\s*(?:<td class="pick">.*?</td>\s*)?<td><a class="mono" '
        r'href="([^"]+)"',
        html,
    )
    assert links and all(html_lib.unescape(url).endswith(f"?type={kind}") for _, url in links)
    uuid, url = links[0]
    sandbox_requests.clear()
    detail = viewer.get(html_lib.unescape(url))
    assert detail.status_code == 200 and uuid in detail.get_data(as_text=True)
    # the typed get only: the related documents are a lazy panel
    assert upstream_calls(detail) == 1
    assert f"/v2/invoices/{kind}/{uuid}" in [r.path for r in sandbox_requests]


def test_a_detail_link_without_the_type_still_finds_the_invoice(viewer, stored, teams):
    invoice = stored.one("invoices", teams["partner"], invoice_type="P", status="valid")
    viewer.get(_base(teams) + invoice["uuid"])  # the team is kept from here
    old = viewer.get(_base(teams) + invoice["uuid"])
    assert old.status_code == 200 and upstream_calls(old) == 3  # the three typed gets at once
    wrong = viewer.get(_base(teams) + invoice["uuid"], query_string={"type": "nonsense"})
    assert wrong.status_code == 404


def _complement(stored, teams) -> dict:
    """A seeded complement made by a payment (it names the payment it came from)."""
    return stored.one(
        "invoices",
        teams["partner"],
        invoice_type="P",
        status="valid",
        test=lambda inv: bool(inv["payment_complement"]["payment_id"]),
    )


def test_a_payment_complement_shows_its_payment_the_invoices_it_pays_and_their_taxes(
    viewer, stored, teams
):
    complement = _complement(stored, teams)
    info = complement["payment_complement"]
    html = viewer.get(_base(teams) + complement["uuid"], query_string={"type": "payment"}).get_data(
        as_text=True
    )
    text = text_of(html)
    folio = f"{complement['series']}-{complement['folio_number']}"
    assert f"<h1>Complemento de pago {folio}</h1>" in html and "Factura " + folio not in text
    # nothing of the P CFDI's own zeros: no XXX currency, no $0.00 totals, no "Pago" item
    assert "XXX" not in text and "$0.00 XXX" not in text and 'id="invoice-items"' not in html
    facts_shown = facts(html, "complement-facts")
    assert facts_shown["Forma de pago"].startswith(info["payment_form"])
    assert facts_shown["Monto"] == f"${info['amount']:,.2f} MXN"
    assert facts_shown["Pagado el"]  # the payment's date (FechaPago)
    assert f'/payments/{info["payment_id"]}"' in html  # the payment it came from, linked
    table = re.search(r'<table class="table" id="complement-invoices">(.*?)</table>', html, re.S)
    for paid in info["related_invoices"]:
        row = re.search(rf'/invoices/{paid["uuid"]}\?type=income".*?</tr>', table.group(1), re.S)
        cells = text_of(row.group(0))
        assert f"Factura {paid['series']}-{paid['folio_number']}" in cells
        assert str(paid["installment"]) in cells
        for amount in ("previous_balance", "amount_paid", "outstanding_balance"):
            assert f"${paid[amount]:,.2f} MXN" in cells
        for tax in paid["taxes"]:
            assert f"${tax['amount']:,.2f} MXN" in cells and "IVA 16 %" in cells
    totals = facts(html, "complement-totals")
    assert totals["Monto total de los pagos (MXN)"] == f"${info['amount']:,.2f} MXN"
    assert totals["IVA 16 %"] == f"${info['totals']['TotalTrasladosImpuestoIVA16']:,.2f} MXN"


@pytest.mark.parametrize(
    ("invoice_type", "kind", "name"),
    [
        ("I", "income", "Factura"),
        ("E", "egress", "Nota de crédito"),
        ("P", "payment", "Complemento de pago"),
    ],
)
def test_each_document_is_named_by_its_type(viewer, stored, teams, invoice_type, kind, name):
    document = stored.one("invoices", teams["partner"], invoice_type=invoice_type)
    html = viewer.get(_base(teams) + document["uuid"], query_string={"type": kind}).get_data(
        as_text=True
    )
    folio = f"{document['series']}-{document['folio_number']}"
    assert f"<h1>{name} {folio}</h1>" in html
    assert f"<title>{name} {folio} ·" in html


def test_documents_are_named_by_their_type_in_english_too(signed_in, english, stored, teams):
    viewer = english(signed_in("viewer"))
    complement = _complement(stored, teams)
    html = viewer.get(_base(teams) + complement["uuid"], query_string={"type": "payment"}).get_data(
        as_text=True
    )
    folio = f"{complement['series']}-{complement['folio_number']}"
    assert f"<h1>Payment complement {folio}</h1>" in html
    assert "Invoices it pays" in html and "Total of the payments (MXN)" in html
