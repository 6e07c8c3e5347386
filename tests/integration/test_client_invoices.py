"""``api.invoices`` against the real sandbox: lists, create, search, send, cancel, files."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

import pytest

from tests.conftest import FROZEN_NOW
from tests.integration.test_client_support import (
    ITEM,
    assert_recent,
    assert_utc,
    at,
    client_body,
    unique,
)
from webapp.gigstack import Conflict, Download, Forbidden, NotFound, ValidationError

CFDI = "{http://www.sat.gob.mx/cfd/4}"


def _income(api: Any, **over: Any) -> dict[str, Any]:
    body = {"client": client_body(), "items": [dict(ITEM)], "payment_form": "03", **over}
    return api.invoices.create_income(body)


def _ppd_with_complement(api: Any, client_id: str) -> tuple[str, str]:
    """A PPD invoice and its payment complement, made by a payment automation."""
    payment = api.payments.register(
        {
            "client": {"id": client_id},
            "items": [dict(ITEM)],
            "payment_form": "03",
            "automation_type": "ppd_invoice_and_complement",
        }
    )
    ppd_uuid, complement_uuid = payment["invoices"]
    return ppd_uuid, complement_uuid


# --------------------------------------------------------------------------- create / get


def test_create_income_with_iva_16_totals(api, teams, frozen_clock):
    invoice = _income(
        api,
        items=[dict(ITEM), {**ITEM, "unit_price": 250.5, "quantity": 2}],
        metadata={"order": "A-77"},
    )
    assert invoice["invoice_type"] == "I" and invoice["status"] == "valid"
    assert len(invoice["uuid"]) == 36 and invoice["uuid"] == invoice["uuid"].upper()
    assert (invoice["subtotal"], invoice["discount"], invoice["taxes"], invoice["total"]) == (
        1501,
        0,
        240.16,
        1741.16,
    )
    assert invoice["total"] == round(
        invoice["subtotal"] - invoice["discount"] + invoice["taxes"], 2
    )
    assert [item["taxes"][0]["rate"] for item in invoice["items"]] == [0.16, 0.16]
    assert (invoice["payment_method"], invoice["payment_form"]) == ("PUE", "03")
    assert invoice["team"] == teams["partner"] and invoice["livemode"] is False
    assert invoice["metadata"] == {"order": "A-77"}
    assert assert_utc(invoice["created_at"]) == at(FROZEN_NOW)
    assert assert_utc(invoice["stamp"]["stamp_at"]) == at(FROZEN_NOW)
    assert api.invoices.get(invoice["uuid"]) == invoice
    assert api.invoices.get(invoice["uuid"].lower(), "income") == invoice


def test_create_income_rule_violation_is_a_validation_error(api):
    with pytest.raises(ValidationError) as caught:
        _income(api, payment_method="PPD", payment_form="03")
    assert caught.value.code == "business_rule_violation"
    assert caught.value.field_errors == {
        "payment_form": ["must be 99 (to be defined) when payment_method is PPD"]
    }


def test_create_egress_credits_an_income_invoice(api):
    origin = _income(api)
    note = api.invoices.create_egress(
        {
            "client": {"id": origin["client"]["id"]},
            "items": [{**ITEM, "unit_price": 100}],
            "payment_form": "03",
            "related_documents": [{"relationship": "01", "documents": [origin["uuid"]]}],
        }
    )
    assert note["invoice_type"] == "E" and note["series"] == "NC"
    assert (note["subtotal"], note["taxes"], note["total"]) == (100, 16, 116)
    assert note["related_documents"] == [{"relationship": "01", "documents": [origin["uuid"]]}]
    assert note["client"]["id"] == origin["client"]["id"]
    assert_recent(note["created_at"])
    assert api.invoices.get(note["uuid"], "egress") == note
    with pytest.raises(NotFound):
        api.invoices.get(note["uuid"], "income")


def test_get_per_kind_and_unknown(api):
    client = api.clients.create(client_body())
    ppd_uuid, complement_uuid = _ppd_with_complement(api, client["id"])
    ppd = api.invoices.get(ppd_uuid, "income")
    assert (ppd["payment_method"], ppd["payment_form"], ppd["last_balance"]) == ("PPD", "99", 0)
    complement = api.invoices.get(complement_uuid, "payment")
    assert complement["invoice_type"] == "P" and complement["total"] == 0
    related = complement["payment_complement"]["related_invoices"][0]
    assert related["uuid"] == ppd_uuid
    with pytest.raises(NotFound):
        api.invoices.get(complement_uuid, "income")
    with pytest.raises(NotFound) as caught:
        api.invoices.get("00000000-0000-4000-A000-000000000000", "egress")
    assert caught.value.message == "Invoice not found"
    with pytest.raises(ValueError):
        api.invoices.get(ppd_uuid, "draft")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- lists


def test_list_income_with_filters(api):
    client = api.clients.create(client_body())
    ref = {"id": client["id"]}
    pue = _income(api, client=ref, series="B")
    ppd = _income(api, client=ref, payment_method="PPD", payment_form="99")
    cancelled = _income(api, client=ref)
    api.invoices.cancel(cancelled["uuid"], "02")

    def uuids(**filters: Any) -> set[str]:
        page = api.invoices.list("income", client_id=client["id"], limit=100, **filters)
        assert page.total_results == len(page) and page.has_more is False
        assert all(inv["invoice_type"] == "I" for inv in page)
        for inv in page:
            assert_utc(inv["created_at"])
        return {inv["uuid"] for inv in page}

    assert uuids() == {pue["uuid"], ppd["uuid"], cancelled["uuid"]}
    assert uuids(status="valid") == {pue["uuid"], ppd["uuid"]}
    assert uuids(status="cancelled") == {cancelled["uuid"]}
    assert uuids(payment_method="PPD") == {ppd["uuid"]}
    assert uuids(series="B") == {pue["uuid"]}
    statuses = {inv["status"] for inv in api.invoices.list(client_id=client["id"], limit=100)}
    assert statuses == {"valid", "cancelled"}  # "stamped" always reads as "valid"


def test_list_egress_and_payment_kinds(api):
    client = api.clients.create(client_body())
    origin = _income(api, client={"id": client["id"]})
    note = api.invoices.create_egress(
        {
            "client": {"id": client["id"]},
            "items": [{**ITEM, "unit_price": 10}],
            "payment_form": "03",
            "related_documents": [{"relationship": "01", "documents": [origin["uuid"]]}],
        }
    )
    egress = api.invoices.list("egress", client_id=client["id"])
    assert [inv["uuid"] for inv in egress] == [note["uuid"]]
    assert egress[0]["invoice_type"] == "E"
    ppd_uuid, complement_uuid = _ppd_with_complement(api, client["id"])
    payments = api.invoices.list("payment", invoice_id=ppd_uuid.lower())
    assert [inv["uuid"] for inv in payments] == [complement_uuid]
    assert payments[0]["invoice_type"] == "P"
    by_client = api.invoices.list("payment", client_id=client["id"], status="valid")
    assert [inv["uuid"] for inv in by_client] == [complement_uuid]
    with pytest.raises(ValueError):
        api.invoices.list("drafts")  # type: ignore[arg-type]


def test_iter_income_across_pages(api):
    client = api.clients.create(client_body())
    made = [_income(api, client={"id": client["id"]})["uuid"] for _ in range(5)]
    seen = [
        inv["uuid"]
        for inv in api.invoices.iter("income", client_id=client["id"], limit=2, sort="asc")
    ]
    assert seen == made
    total = api.invoices.list("income", client_id=client["id"], limit=1).total_results
    assert total == len(set(seen)) == 5
    assert len(list(api.invoices.iter("income", limit=2, max_pages=2))) == 4


# --------------------------------------------------------------------------- search / send


def test_search_by_uuid_prefix_series_folio_and_client(api):
    name = f"Cliente {unique()}"
    invoice = _income(api, client=client_body(name=name))
    by_uuid = api.invoices.search(invoice["uuid"][:13].lower())
    assert invoice["uuid"] in {inv["uuid"] for inv in by_uuid}
    folio = api.invoices.search(f"{invoice['series']}-{invoice['folio_number']}")
    assert invoice["uuid"] in {inv["uuid"] for inv in folio}
    by_name = api.invoices.search(name.lower())
    assert [inv["uuid"] for inv in by_name] == [invoice["uuid"]]
    assert by_name.total_results == 1 and by_name.has_more is False and by_name.next is None
    assert_utc(by_name[0]["created_at"])


def test_send_to_default_and_given_recipients(api):
    invoice = _income(api, client=client_body(bcc=["conta@example.com"]))
    sent = api.invoices.send(invoice["uuid"])
    assert sent == {
        "recipients": [invoice["client"]["email"], "conta@example.com"],
        "attachments": [f"{invoice['uuid']}.pdf", f"{invoice['uuid']}.xml"],
    }
    chosen = api.invoices.send(invoice["uuid"], ["a@example.com", "b@example.com"])
    assert chosen["recipients"] == ["a@example.com", "b@example.com"]
    with pytest.raises(NotFound):
        api.invoices.send("00000000-0000-4000-A000-000000000000")


# --------------------------------------------------------------------------- cancel


def test_cancel_02_then_again_is_a_conflict(api, frozen_clock):
    invoice = _income(api)
    cancelled = api.invoices.cancel(invoice["uuid"], "02")
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_status"] == "accepted"
    assert cancelled["cancellation_motive"] == "02" and cancelled["substitution_uuid"] is None
    assert assert_utc(cancelled["cancelled_at"]) == at(FROZEN_NOW)
    assert api.invoices.get(invoice["uuid"]) == cancelled
    with pytest.raises(Conflict) as caught:
        api.invoices.cancel(invoice["uuid"], "02")
    assert caught.value.status == 409 and caught.value.code == "resource_conflict"
    assert caught.value.message == "The invoice is already cancelled"


def test_cancel_01_with_a_substitute(api):
    old = _income(api)
    new = _income(
        api,
        client={"id": old["client"]["id"]},
        related_documents=[{"relationship": "04", "documents": [old["uuid"]]}],
    )
    with pytest.raises(ValidationError) as caught:
        api.invoices.cancel(old["uuid"], "01", substitution_uuid=old["uuid"])
    assert caught.value.field_errors == {
        "substitution_uuid": ["must be another invoice than the one being cancelled"]
    }
    assert api.invoices.get(old["uuid"])["status"] == "valid"
    cancelled = api.invoices.cancel(old["uuid"], "01", substitution_uuid=new["uuid"].lower())
    assert (cancelled["status"], cancelled["cancellation_motive"]) == ("cancelled", "01")
    assert cancelled["substitution_uuid"] == new["uuid"]
    assert api.invoices.get(new["uuid"])["status"] == "valid"


# --------------------------------------------------------------------------- files


def test_files_are_fresh_signed_links(api, sandbox):
    invoice = _income(api)
    links = api.invoices.files(invoice["uuid"])
    assert set(links) == {"pdf", "xml"}
    assert all(
        url.startswith(f"{sandbox.origin}/files/") and "signature=" in url for url in links.values()
    )
    assert set(api.invoices.files(invoice["uuid"], "xml")) == {"xml"}
    with pytest.raises(NotFound):
        api.invoices.files("00000000-0000-4000-A000-000000000000")


def test_download_pdf_and_xml_from_the_links(api):
    invoice = _income(api)
    links = api.invoices.files(invoice["uuid"])
    pdf = api.invoices.download(links["pdf"])
    assert isinstance(pdf, Download)
    assert pdf.content.startswith(b"%PDF-")
    assert (pdf.content_type, pdf.filename) == ("application/pdf", f"{invoice['uuid']}.pdf")
    xml = api.invoices.download(links["xml"])
    assert xml.filename == f"{invoice['uuid']}.xml"
    root = ET.fromstring(xml.content)
    assert root.tag == f"{CFDI}Comprobante" and root.get("Total") == "1160.00"


def test_download_file_always_uses_a_fresh_link(api, frozen_clock):
    invoice = _income(api)
    xml = api.invoices.download_file(invoice["uuid"], "xml")
    assert ET.fromstring(xml.content).get("TipoDeComprobante") == "I"
    pdf = api.invoices.download_file(invoice["uuid"], "pdf")
    assert pdf.content.startswith(b"%PDF-") and pdf.content_type == "application/pdf"
    stale = api.invoices.files(invoice["uuid"], "pdf")["pdf"]
    frozen_clock(FROZEN_NOW + 601)  # past the link's 600 s life
    assert api.invoices.download_file(invoice["uuid"], "pdf").content == pdf.content
    with pytest.raises(Forbidden) as caught:
        api.invoices.download(stale)
    assert caught.value.message == "This file link has expired; ask for a new one"
    with pytest.raises(ValueError):
        api.invoices.download_file(invoice["uuid"], "zip")  # type: ignore[arg-type]


def test_download_file_re_asks_once_when_the_link_is_refused(api, faults):
    invoice = _income(api)
    faults({"rules": [{"method": "GET", "path": "/files/*", "status": 403, "times": 1}]})
    pdf = api.invoices.download_file(invoice["uuid"], "pdf")
    assert pdf.content.startswith(b"%PDF-")
    faults({"rules": [{"method": "GET", "path": "/files/*", "status": 403, "times": 2}]})
    with pytest.raises(Forbidden):
        api.invoices.download_file(invoice["uuid"], "pdf")


def test_zip_holds_the_pdf_and_the_xml(api):
    invoice = _income(api)
    archive = zipfile.ZipFile(io.BytesIO(api.invoices.zip(invoice["uuid"])))
    assert archive.namelist() == [f"{invoice['uuid']}.pdf", f"{invoice['uuid']}.xml"]
    assert archive.read(f"{invoice['uuid']}.pdf").startswith(b"%PDF-")
    stamp = ET.fromstring(archive.read(f"{invoice['uuid']}.xml")).find(
        f"{CFDI}Complemento/{{http://www.sat.gob.mx/TimbreFiscalDigital}}TimbreFiscalDigital"
    )
    assert stamp is not None and stamp.get("UUID") == invoice["uuid"]
    with pytest.raises(NotFound):
        api.invoices.zip("00000000-0000-4000-A000-000000000000")
