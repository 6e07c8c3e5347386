"""Invoice file links and downloads (REFERENCE §11): signed, short-lived, no auth."""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import requests

from tests.sandbox.test_invoices_support import ITEM, company, create, who
from tests.support.tools import require_tool
from webapp.sandbox import invoicing
from webapp.sandbox.invoicing_files import file_url

CFDI = "{http://www.sat.gob.mx/cfd/4}"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}"


def _links(raw, uuid, **params):
    response = raw.get(f"/invoices/{uuid}/files", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Invoice files retrieved successfully"
    return response.json()["data"]


def test_links_shape_and_file_type(raw):
    inv = create(raw)
    both = _links(raw, inv["uuid"])
    assert set(both) == {"pdf", "xml"}
    url = urlsplit(both["pdf"])
    assert f"{url.scheme}://{url.netloc}" == raw.origin and url.path.startswith("/files/")
    query = parse_qs(url.query)
    assert set(query) == {"expires", "signature"}
    assert set(_links(raw, inv["uuid"], file_type="xml")) == {"xml"}
    bad = raw.get(f"/invoices/{inv['uuid']}/files", params={"file_type": "zip"})
    assert bad.status_code == 400
    assert bad.json()["details"] == [{"field": "file_type", "message": "must be pdf or xml"}]
    missing = raw.get("/invoices/00000000-0000-4000-A000-000000000000/files")
    assert missing.status_code == 404


def test_download_without_auth(raw):
    inv = create(raw)
    links = _links(raw, inv["uuid"])
    pdf = requests.get(links["pdf"], timeout=30)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{inv["uuid"]}.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    xml = requests.get(links["xml"], timeout=30)
    assert xml.headers["Content-Type"].startswith("application/xml")
    assert xml.headers["Content-Disposition"] == f'attachment; filename="{inv["uuid"]}.xml"'


def test_links_expire_after_600_seconds(raw, frozen_clock):
    now = frozen_clock()
    inv = create(raw)
    links = _links(raw, inv["uuid"])
    assert parse_qs(urlsplit(links["pdf"]).query)["expires"] == [str(now + 600)]
    frozen_clock(now + 600)
    assert requests.get(links["pdf"], timeout=30).status_code == 200
    frozen_clock(now + 601)
    expired = requests.get(links["pdf"], timeout=30)
    assert expired.status_code == 403
    assert expired.json() == {
        "message": "This file link has expired; ask for a new one",
        "error": "forbidden",
    }
    fresh = _links(raw, inv["uuid"], file_type="pdf")["pdf"]
    assert requests.get(fresh, timeout=30).status_code == 200


def test_tampered_links_are_403(raw):
    inv = create(raw)
    url = _links(raw, inv["uuid"])["pdf"]
    base, query = url.split("?")
    params = parse_qs(query)
    signature, expires = params["signature"][0], params["expires"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    longer = str(int(expires) + 3600)
    xml_token = _links(raw, inv["uuid"], file_type="xml")["xml"].split("?")[0]
    for attempt in (
        f"{base}?expires={expires}&signature={flipped}",
        f"{base}?expires={longer}&signature={signature}",
        f"{xml_token}?expires={expires}&signature={signature}",
        base,
    ):
        response = requests.get(attempt, timeout=30)
        assert response.status_code == 403, attempt
        assert response.json()["error"] == "forbidden"


def test_unknown_file_is_404(sandbox):
    url = file_url(sandbox.store, sandbox.origin, "00000000-0000-4000-A000-000000000000", "pdf")
    response = requests.get(url, timeout=30)
    assert response.status_code == 404
    assert response.json() == {"message": "File not found", "error": "file_not_found"}


def test_xml_is_a_cfdi_matching_the_invoice(raw):
    inv = create(
        raw,
        client=company(),
        items=[
            {**ITEM, "quantity": 2, "discount": 100},
            {
                **ITEM,
                "taxes": [
                    {"type": "IVA", "rate": 0.16},
                    {"type": "ISR", "rate": 0.1, "withholding": True},
                ],
            },
        ],
    )
    body = requests.get(_links(raw, inv["uuid"])["xml"], timeout=30).content
    root = ET.fromstring(body)
    assert root.tag == f"{CFDI}Comprobante" and root.get("Version") == "4.0"
    stamp = root.find(f"{CFDI}Complemento/{TFD}TimbreFiscalDigital")
    assert stamp is not None and stamp.get("UUID") == inv["uuid"]
    assert root.get("SubTotal") == f"{inv['subtotal']:.2f}"
    assert root.get("Descuento") == f"{inv['discount']:.2f}"
    assert root.get("Total") == f"{inv['total']:.2f}"
    assert (root.get("Serie"), root.get("Folio")) == (inv["series"], str(inv["folio_number"]))
    assert root.get("TipoDeComprobante") == "I" and root.get("MetodoPago") == "PUE"
    receptor = root.find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "ACM010101AB1"
    assert receptor.get("RegimenFiscalReceptor") == "601"
    assert receptor.get("DomicilioFiscalReceptor") == "44100"
    assert receptor.get("UsoCFDI") == inv["use"]
    assert root.find(f"{CFDI}Emisor").get("Rfc") == "OCD180312QX5"
    taxes = root.find(f"{CFDI}Impuestos")
    transferred = float(taxes.get("TotalImpuestosTrasladados") or 0)
    withheld = float(taxes.get("TotalImpuestosRetenidos") or 0)
    assert round(transferred - withheld, 2) == inv["taxes"]


def test_payment_complement_xml(sandbox, raw):
    ppd = create(raw, payment_method="PPD", payment_form=None)
    with sandbox.store.lock:
        caller = who(sandbox.store)
        comp = invoicing.issue_payment_complement(
            caller,
            payment={"payment_form": "03"},
            ppd_invoice=invoicing.find_invoice(caller, ppd["uuid"]),
            amount=500,
        )
    root = ET.fromstring(requests.get(_links(raw, comp["uuid"])["xml"], timeout=30).content)
    assert root.get("TipoDeComprobante") == "P" and root.get("Total") == "0"
    pagos = root.find(f"{CFDI}Complemento/{{http://www.sat.gob.mx/Pagos20}}Pagos")
    assert pagos is not None
    related = pagos.find(".//{http://www.sat.gob.mx/Pagos20}DoctoRelacionado")
    assert related.get("IdDocumento") == ppd["uuid"]
    assert related.get("ImpPagado") == "500.00"


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_shows_the_invoice(raw):
    inv = create(raw, client=company())
    content = requests.get(_links(raw, inv["uuid"])["pdf"], timeout=30).content
    text = _pdf_text(content)
    assert f"{inv['series']}-{inv['folio_number']}" in text
    assert inv["uuid"] in text
    assert "OCD180312QX5" in text and "ACM010101AB1" in text
    assert "1,160.00" in text


def test_cancelled_invoice_files_are_still_served(raw):
    inv = create(raw)
    assert raw.delete(f"/invoices/{inv['uuid']}", json={"motive": "02"}).ok
    links = _links(raw, inv["uuid"])
    assert requests.get(links["pdf"], timeout=30).status_code == 200
    assert requests.get(links["xml"], timeout=30).status_code == 200


def test_pdf_renders_with_pdftoppm(raw, tmp_path):
    require_tool("pdftoppm")
    inv = create(raw)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(requests.get(_links(raw, inv["uuid"])["pdf"], timeout=30).content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = list(tmp_path.glob("page*.png"))
    assert pages and pages[0].stat().st_size > 1000
