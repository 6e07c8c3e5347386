"""Every kind of CFDI the sandbox issues, held to SAT's own rules (issue 21).

One document of each kind is issued through the API — income PUE and PPD, withholdings, IEPS,
USD, global, a credit note with its relation, a payment complement (Pagos 2.0), one from a
receipt, a cancelled one, and one of a team that uploaded SAT's test CSD — and its files are
downloaded from the signed links. Each XML must pass SAT's XSDs, its ``Sello`` must verify
with the certificate it carries over the cadena original of SAT's XSLT (and the timbre's with
the sandbox PAC's certificate), every amount must add up again, and the PDF must print what
Anexo 20 asks: both seals whole, the timbre's cadena original, both certificate numbers, the
total in words and a complement's taxes. SAT's files come from the ``satcfdi`` wheel
(tests/support/cfdi.py).
"""

from __future__ import annotations

import base64
import re
import subprocess
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
import requests
from lxml import etree

from tests.conftest import RawAPI
from tests.sandbox.test_invoices_support import ITEM, IVA16, company, create
from tests.support.cfdi import NS, sat_tfd_cadena, schema_errors, seal_verifies, verifies
from tests.support.paths import cert_bytes, cert_password
from tests.support.tools import require_tool
from webapp.sandbox.documents import PAC_NAME, RFC_PROV_CERTIF
from webapp.sandbox.seals import sandbox_signer

CENT = Decimal("0.01")
EKU_CSD_NUMBER = "30001000000500003416"  # SAT's test CSD of EKU9003173C9 (valid to 2027-05)


def _d(value: str | None) -> Decimal:
    return Decimal(value or "0")


def _files(raw: RawAPI, uuid: str, **params: Any) -> tuple[bytes, bytes]:
    links = raw.get(f"/invoices/{uuid}/files", params=params).json()["data"]
    xml = requests.get(links["xml"], timeout=30).content
    pdf = requests.get(links["pdf"], timeout=30).content
    return xml, pdf


_PAGE_FURNITURE = re.compile(
    r"^(Este documento es una representación impresa.*|Página \d+ de \d+|"
    r"SIN VALIDEZ FISCAL.*|CANCELADA.*|\f)$"
)


def _pdf_text(pdf: bytes) -> str:
    """pdftotext's reading, without what every page repeats (banner, footer): a block that
    follows a page break reads as if there were none."""
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    lines = out.stdout.decode("utf-8").replace("\f", "\n").splitlines()
    return "\n".join(line for line in lines if not _PAGE_FURNITURE.match(line))


def _issue_every_kind(raw: RawAPI, sandbox: Any) -> dict[str, dict[str, Any]]:
    """kind → the invoice as the API answered it (the payment complement read back)."""
    docs: dict[str, dict[str, Any]] = {}
    docs["pue"] = create(raw, client=company())  # 1,000 + IVA = 1,160
    docs["ppd"] = create(raw, client=company(), payment_method="PPD", payment_form="99")
    docs["withholdings"] = create(
        raw,
        client=company(),
        items=[
            {
                **ITEM,
                "unit_price": 1234.56,
                "taxes": [
                    IVA16,
                    {"type": "ISR", "rate": 0.1, "withholding": True},
                    {"type": "IVA", "rate": 0.106667, "withholding": True},
                ],
            }
        ],
    )
    docs["ieps"] = create(
        raw,
        items=[
            {**ITEM, "quantity": 3, "unit_price": 20.5, "taxes": [_ieps_cuota(), IVA16]},
            {**ITEM, "unit_price": 99.99, "taxes": [{"type": "IEPS", "rate": 0.08}, IVA16]},
        ],
    )
    docs["usd"] = create(raw, client=company(), currency="USD", exchange_rate=18.4321)
    store = sandbox.store
    with store.lock:
        team = store.key_by_name("partner_test").team
        public = next(
            c for c in store.all("clients", team, False) if c["tax_id"] == "XAXX010101000"
        )
    docs["global"] = create(
        raw,
        client={"id": public["id"]},
        items=[{**ITEM, "quantity": 1.5, "unit_price": 10.01}, {**ITEM, "unit_price": 10.01}],
        **{"global": {"periodicity": "05", "months": "14", "year": 2026}},
    )
    docs["egress"] = create(
        raw,
        "egress",
        client={"id": docs["pue"]["client"]["id"]},
        items=[{**ITEM, "unit_price": 100}],
        related_documents=[{"relationship": "01", "documents": [docs["pue"]["uuid"]]}],
    )
    paid = raw.post(
        "/payments/register",
        json={
            "client": {"id": docs["ppd"]["client"]["id"]},
            "items": [{**ITEM, "unit_price": 500}],  # 580 of the invoice's 1,160
            "payment_form": "03",
            "automation_type": "ppd_invoice_and_complement",
            "ppd_invoice_id": docs["ppd"]["uuid"],
        },
    )
    assert paid.status_code == 201, paid.text
    complement = paid.json()["data"]["invoices"][0]
    docs["payment"] = raw.get(f"/invoices/payment/{complement}").json()["data"]
    docs["receipt"] = _from_receipt(raw, docs["pue"]["client"]["id"])
    docs["cancelled"] = create(raw, client=company())
    cancel = raw.delete(f"/invoices/{docs['cancelled']['uuid']}", json={"motive": "02"})
    assert cancel.ok, cancel.text
    return docs


def _ieps_cuota() -> dict[str, Any]:
    return {"type": "IEPS", "rate": 1.5, "factor": "Cuota"}


def _from_receipt(raw: RawAPI, client_id: str) -> dict[str, Any]:
    receipt = raw.post("/receipts", json={"client": {"id": client_id}, "items": [ITEM]})
    assert receipt.status_code == 201, receipt.text
    stamped = raw.post(f"/receipts/{receipt.json()['data']['id']}/stamp")
    assert stamped.status_code == 200, stamped.text
    return raw.get(f"/invoices/income/{stamped.json()['data']['invoice_id']}").json()["data"]


def _csd_team_invoice(raw: RawAPI) -> tuple[dict[str, Any], str]:
    """An invoice of a team that uploaded SAT's test CSD (the clock is frozen in its validity)."""
    team = raw.post(
        "/teams",
        json={
            "brand": {"alias": f"EKU {time.time_ns()}"},
            "legal_name": "ESCUELA KEMPER URGATE",
            "tax_id": "EKU9003173C9",
            "tax_system": "601",
            "address": {"country": "MEX", "zip": "42501"},
        },
    ).json()["data"]
    files = {
        "cert": ("csd.cer", cert_bytes("csd_moral_EKU9003173C9_valid.cer")),
        "key": ("csd.key", cert_bytes("csd_moral_EKU9003173C9_valid.key")),
    }
    upload = raw.post(
        f"/teams/{team['id']}/sat-connection", files=files, data={"keyPass": cert_password()}
    )
    assert upload.status_code == 200, upload.text
    assert "key" not in upload.text.lower().replace("keypass", "")  # nothing of the key returned
    response = raw.post(
        "/invoices/income",
        params={"team": team["id"]},
        json={"client": company(), "items": [ITEM], "payment_form": "03"},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"], team["id"]


# --------------------------------------------------------------------------- amounts


def _check_concepts(root: etree._Element) -> None:
    """Each line, its taxes, the document's taxes and the totals add up again."""
    subtotal = discount = Decimal(0)
    moved: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    withheld: dict[str, Decimal] = defaultdict(Decimal)
    for concept in root.iterfind("cfdi:Conceptos/cfdi:Concepto", NS):
        importe = _d(concept.get("Importe"))
        line = _d(concept.get("Cantidad")) * _d(concept.get("ValorUnitario"))
        assert abs(importe - line) <= CENT, etree.tostring(concept)
        subtotal += importe
        discount += _d(concept.get("Descuento"))
        for tax in concept.iterfind("cfdi:Impuestos/*/*", NS):
            base, rate, amount = (_d(tax.get(k)) for k in ("Base", "TasaOCuota", "Importe"))
            if tax.get("TipoFactor") != "Exento":
                assert abs(amount - base * rate) <= CENT, etree.tostring(tax)
            if tax.tag.endswith("Retencion"):
                withheld[tax.get("Impuesto")] += amount
            else:
                key = (tax.get("Impuesto"), tax.get("TipoFactor"), tax.get("TasaOCuota") or "")
                moved[key][0] += base
                moved[key][1] += amount
    assert _d(root.get("SubTotal")) == subtotal
    assert _d(root.get("Descuento")) == discount
    taxes = root.find("cfdi:Impuestos", NS)
    printed_moved = {
        (t.get("Impuesto"), t.get("TipoFactor"), t.get("TasaOCuota") or ""): [
            _d(t.get("Base")),
            _d(t.get("Importe")),
        ]
        for t in root.iterfind("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", NS)
    }
    assert printed_moved == dict(moved)
    printed_withheld = {
        t.get("Impuesto"): _d(t.get("Importe"))
        for t in root.iterfind("cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion", NS)
    }
    assert printed_withheld == dict(withheld)
    transferred = _d(taxes.get("TotalImpuestosTrasladados")) if taxes is not None else 0
    retained = _d(taxes.get("TotalImpuestosRetenidos")) if taxes is not None else 0
    assert transferred == sum((v[1] for v in moved.values()), Decimal(0))
    assert retained == sum(withheld.values(), Decimal(0))
    assert _d(root.get("Total")) == subtotal - discount + transferred - retained


def _check_payment(root: etree._Element) -> None:
    """Pagos 2.0: balances, the paid share of each tax, ImpuestosP and Totales agree."""
    pago = root.find("cfdi:Complemento/pago20:Pagos/pago20:Pago", NS)
    docs = pago.findall("pago20:DoctoRelacionado", NS)
    assert docs
    assert sum(_d(d.get("ImpPagado")) for d in docs) == _d(pago.get("Monto"))
    per_tax: dict[tuple[str, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for doc in docs:
        before, paid, after = (
            _d(doc.get(k)) for k in ("ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto")
        )
        assert before - paid == after
        assert doc.get("ObjetoImpDR") == "02"
        for tax in doc.iterfind("pago20:ImpuestosDR/*/*", NS):
            base, rate, amount = (_d(tax.get(k)) for k in ("BaseDR", "TasaOCuotaDR", "ImporteDR"))
            assert abs(amount - base * rate) <= CENT
            key = (tax.tag, tax.get("ImpuestoDR"), tax.get("TasaOCuotaDR"))
            per_tax[key][0] += base
            per_tax[key][1] += amount
    assert per_tax, "the paid invoice's taxes are missing"
    rate = _d(pago.get("TipoCambioP") or "1")
    totals = root.find("cfdi:Complemento/pago20:Pagos/pago20:Totales", NS)
    assert _d(totals.get("MontoTotalPagos")) == (_d(pago.get("Monto")) * rate).quantize(CENT)
    iva16 = [
        v
        for k, v in per_tax.items()
        if k[0].endswith("TrasladoDR") and k[1:] == ("002", "0.160000")
    ]
    if iva16:
        assert _d(totals.get("TotalTrasladosBaseIVA16")) == iva16[0][0] * rate
        assert _d(totals.get("TotalTrasladosImpuestoIVA16")) == iva16[0][1] * rate
    for moved in pago.iterfind("pago20:ImpuestosP/pago20:TrasladosP/pago20:TrasladoP", NS):
        key = (f"{{{NS['pago20']}}}TrasladoDR", moved.get("ImpuestoP"), moved.get("TasaOCuotaP"))
        assert [_d(moved.get("BaseP")), _d(moved.get("ImporteP"))] == per_tax[key]


# --------------------------------------------------------------------------- the PDF


def _between(text: str, start: str, end: str) -> str:
    """The text between two headings, whitespace removed (a wrapped seal joined again)."""
    after = text.split(start, 1)[1]
    return re.sub(r"\s+", "", after.split(end, 1)[0])


def _check_pdf(kind: str, text: str, xml: bytes, invoice: dict[str, Any]) -> None:
    root = etree.fromstring(xml)
    timbre = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert _between(text, "Sello digital del CFDI", "Sello digital del SAT") == root.get("Sello")
    sat_heading = "Cadena original del complemento de certificación digital del SAT"
    assert _between(text, "Sello digital del SAT", sat_heading) == timbre.get("SelloSAT")
    assert _between(text, sat_heading, "Verifica este comprobante") == sat_tfd_cadena(xml)
    assert root.get("NoCertificado") in text and timbre.get("NoCertificadoSAT") in text
    words = re.search(r"SON: [A-ZÁÉÍÓÚÑ ]+ \d\d/100 (M\.N\.|[A-Z]{3})", text)
    assert words, f"{kind}: no total in words"
    if kind == "payment":
        assert "Impuestos del pago y totales" in text and "Impuestos del documento: IVA 16%" in text
    elif kind == "usd":
        assert words.group(0).endswith(" DÓLARES 00/100 USD")
    elif invoice["currency"] == "MXN":
        assert words.group(1) == "M.N."
    if kind == "pue":
        assert "SON: MIL CIENTO SESENTA PESOS 00/100 M.N." in text


# --------------------------------------------------------------------------- the test


def test_every_kind_of_cfdi_passes_sats_rules(raw, sandbox, frozen_clock):
    require_tool("pdftotext")
    frozen_clock()
    docs = _issue_every_kind(raw, sandbox)
    csd_invoice, csd_team = _csd_team_invoice(raw)
    pac = sandbox_signer(RFC_PROV_CERTIF, PAC_NAME)
    checked = []
    for kind, invoice in [*docs.items(), ("csd", csd_invoice)]:
        params = {"team": csd_team} if kind == "csd" else {}
        xml, pdf = _files(raw, invoice["uuid"], **params)
        assert schema_errors(xml) == [], (kind, schema_errors(xml))
        assert seal_verifies(xml), f"{kind}: the seal does not verify with its certificate"
        root = etree.fromstring(xml)
        timbre = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
        assert timbre.get("UUID") == invoice["uuid"] and timbre.get("SelloCFD") == root.get("Sello")
        assert invoice["stamp"]["sello"] == root.get("Sello"), kind  # the API's sello is the XML's
        assert invoice["verification_url"].endswith(
            requests.utils.quote(root.get("Sello")[-8:], safe="")
        )
        assert timbre.get("NoCertificadoSAT") == pac.number
        assert verifies(pac.certificate, timbre.get("SelloSAT"), sat_tfd_cadena(xml)), kind
        if kind == "payment":
            _check_payment(root)
        else:
            _check_concepts(root)
        text = _pdf_text(pdf)
        _check_pdf(kind, text, xml, invoice)
        self_signed = kind != "csd"
        banner = subprocess.run(
            ["pdftotext", "-l", "1", "-", "-"], input=pdf, capture_output=True, timeout=60
        ).stdout.decode("utf-8")
        assert ("certificado autofirmado del sandbox" in banner) is self_signed, kind
        checked.append(kind)
    # the uploaded CSD seals the team's documents: SAT's certificate, its number
    root = etree.fromstring(_files(raw, csd_invoice["uuid"], team=csd_team)[0])
    assert root.get("NoCertificado") == EKU_CSD_NUMBER
    assert base64.b64decode(root.get("Certificado")) == cert_bytes(
        "csd_moral_EKU9003173C9_valid.cer"
    )
    assert len(checked) == 11


@pytest.mark.parametrize("route", ["/invoices/income", "/invoices/payment"])
def test_the_key_of_an_uploaded_csd_is_never_returned(raw, route):
    """The team's signer lives in a private field: no listing or object shows it."""
    body = raw.get(route, params={"limit": 5}).text
    assert "PRIVATE KEY" not in body and '"_csd"' not in body and '"_issuer"' not in body
