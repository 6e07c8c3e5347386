"""The sandbox's CFDI XML and PDF renderers (webapp/sandbox/documents.py).

The invoices here are built like the sandbox's Invoice output (REFERENCE §12.3), with the
§1.10 arithmetic redone independently, so the XML is checked against numbers we did not get
from the module under test.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pypdf import PdfReader

from tests.support.cfdi import sat_tfd_cadena, seal_verifies, verifies
from tests.support.paths import cert_bytes, cert_password
from tests.support.tools import require_tool
from webapp.sandbox.documents import (
    PAC_NAME,
    RFC_PROV_CERTIF,
    money,
    render_invoice_pdf,
    render_invoice_xml,
)
from webapp.sandbox.seals import Signer, csd_signer, sandbox_signer
from webapp.sat.csd import load_private_key, read_certificate

NS = {
    "cfdi": "http://www.sat.gob.mx/cfd/4",
    "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital",
    "pago20": "http://www.sat.gob.mx/Pagos20",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_LOC = f"{{{NS['xsi']}}}schemaLocation"

STAMP_AT = 1714579200  # 2024-05-01T16:00:00Z = 10:00 in Mexico City
UUID_I = "6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B"
UUID_E = "0A0B0C0D-1111-4222-8333-444455556666"
UUID_P = "ABCDEF01-2345-4678-9ABC-DEF012345678"
UUID_G = "11112222-3333-4444-8555-666677778888"


# --------------------------------------------------------------------------- builders


def _r2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _totals(items: list[dict[str, Any]]) -> dict[str, float]:
    """§1.10 rules: each line's Importe and Base rounded once; the document's amounts are the
    sums of the printed lines."""
    subtotal = discount = taxes = Decimal(0)
    for item in items:
        qty = Decimal(str(item.get("quantity", 1)))
        inclusive = sum(
            Decimal(str(t["rate"]))
            for t in item["taxes"]
            if t.get("inclusive") and not t.get("withholding") and t.get("factor", "Tasa") == "Tasa"
        )
        unit = Decimal(str(item["unit_price"])) / (1 + inclusive)
        importe = _r2(qty * unit)
        disc = _r2(Decimal(str(item.get("discount", 0))))
        subtotal += importe
        discount += disc
        ieps = Decimal(0)
        # IEPS first: IVA is paid on the price plus the IEPS (LIVA art. 12)
        for t in sorted(item["taxes"], key=lambda t: t["type"] == "IVA"):
            factor = t.get("factor", "Tasa")
            base = importe - disc + (ieps if t["type"] == "IVA" else 0)
            if factor == "Exento":
                amount = Decimal(0)
            elif factor == "Cuota":
                amount = _r2(qty * Decimal(str(t["rate"])))
            else:
                amount = _r2(base * Decimal(str(t["rate"])))
            if t["type"] == "IEPS" and not t.get("withholding"):
                ieps += amount
            taxes += -amount if t.get("withholding") else amount
    return {
        "subtotal": float(subtotal),
        "discount": float(discount),
        "taxes": float(taxes),
        "total": float(subtotal - discount + taxes),
    }


def make_item(description: str, unit_price: float, quantity: float = 1, **extra: Any) -> dict:
    item = {
        "id": "item_abcd1234",
        "service": None,
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "product_key": "80141503",
        "unit_key": "E48",
        "unit_name": "Servicio",
        "sku": None,
        "taxability": "02",
        "taxes": [{"type": "IVA", "rate": 0.16, "factor": "Tasa", "withholding": False}],
        "discount": 0,
    }
    item.update(extra)
    return item


def make_invoice(**over: Any) -> dict[str, Any]:
    """An income PUE invoice (IVA 16 % + ISR 10 % withholding) shaped like §12.3."""
    items = over.pop("items", None) or [
        make_item(
            "Servicio de Construcción y diseño",
            1000,
            taxes=[
                {"type": "IVA", "rate": 0.16, "factor": "Tasa", "withholding": False},
                {"type": "ISR", "rate": 0.10, "factor": "Tasa", "withholding": True},
            ],
        ),
        make_item("Asesoría técnica", 250, quantity=2, discount=50),
    ]
    invoice: dict[str, Any] = {
        "uuid": UUID_I,
        "invoice_type": "I",
        "status": "valid",
        "client": {
            "id": "client_aaaa1111",
            "name": "Muñoz",
            "legal_name": "COMERCIALIZADORA MUÑOZ",
            "email": "facturas@munoz.mx",
            "tax_id": "CMU850101AB1",
        },
        "receiver": {"tax_system": "601", "zip": "44100", "use": "G03"},
        "currency": "MXN",
        "exchange_rate": 1,
        "series": "A",
        "folio_number": 123,
        "payment_form": "03",
        "payment_method": "PUE",
        "use": "G03",
        "exports": "01",
        "items": items,
        "related_documents": [],
        "global": None,
        "verification_url": (
            "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
            f"?id={UUID_I}&re=ENI200101AA1&rr=CMU850101AB1&tt=1582.00&fe=ZmFrZQ=="
        ),
        "stamp": {"stamp_at": STAMP_AT, "sello": "c2VsbG8tZmFrZS1kZS1wcnVlYmE=" * 4},
        "cancellation_status": None,
        "cancellation_motive": None,
        "substitution_uuid": None,
        "cancelled_at": None,
        "cancellation_receipt": None,
        "last_balance": None,
        "payment_complements": 0,
        "payment_complement": None,
        "automation_type": None,
        "metadata": {},
        "livemode": False,
        "team": "team_abcd1234",
        "owner": "user_1",
        "created_at": STAMP_AT,
    }
    invoice.update(_totals(items))
    invoice.update(over)
    return invoice


def make_egress() -> dict[str, Any]:
    return make_invoice(
        uuid=UUID_E,
        invoice_type="E",
        series="NC",
        folio_number=7,
        use="G02",
        receiver={"tax_system": "601", "zip": "44100", "use": "G02"},
        items=[make_item("Bonificación por retraso", 100)],
        related_documents=[{"relationship": "01", "documents": [UUID_I]}],
    )


def make_payment() -> dict[str, Any]:
    pago = make_item("Pago", 0, product_key="84111506", unit_key="ACT", unit_name=None)
    pago.update(taxes=[], taxability="01")
    return make_invoice(
        uuid=UUID_P,
        invoice_type="P",
        series="P",
        folio_number=3,
        payment_form=None,
        payment_method=None,
        use="CP01",
        receiver={"tax_system": "601", "zip": "44100", "use": "CP01"},
        items=[pago],
        subtotal=0,
        discount=0,
        taxes=0,
        total=0,
        payment_complement={
            "payment_id": "payment_abcd1234",
            "payment_form": "03",
            "currency": "MXN",
            "exchange_rate": 1,
            "amount": 580.0,
            "paid_at": STAMP_AT - 3600,
            "related_invoices": [
                {
                    "uuid": UUID_I,
                    "series": "A",
                    "folio_number": 123,
                    "installment": 1,
                    "previous_balance": 1160.0,
                    "amount_paid": 580.0,
                    "outstanding_balance": 580.0,
                }
            ],
        },
    )


def make_global() -> dict[str, Any]:
    return make_invoice(
        uuid=UUID_G,
        series="G",
        folio_number=1,
        client={
            "id": "client_pg",
            "name": "Público en general",
            "legal_name": "PUBLICO EN GENERAL",
            "email": None,
            "tax_id": "XAXX010101000",
        },
        receiver=None,
        use="S01",
        items=[
            make_item(
                "Venta mostrador",
                1160,
                taxes=[{"type": "IVA", "rate": 0.16, "factor": "Tasa", "inclusive": True}],
            )
        ],
        **{"global": {"periodicity": "04", "months": "05", "year": 2024}},
    )


TEAM: dict[str, Any] = {
    "id": "team_abcd1234",
    "legal_name": "EMPRESA NIÑO Y CONSTRUCCIÓN",
    "brand": {"alias": "Niño"},
    "tax_id": "ENI200101AA1",
    "tax_system": "601",
    "address": {"country": "MEX", "zip": "06600"},
}


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


# --------------------------------------------------------------------------- XML


def test_xml_root_declaration_and_prefixes() -> None:
    xml = render_invoice_xml(make_invoice(), TEAM)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"<cfdi:Comprobante " in xml and b"<tfd:TimbreFiscalDigital " in xml
    root = parse(xml)
    assert root.tag == f"{{{NS['cfdi']}}}Comprobante"
    assert root.get("Version") == "4.0"
    assert root.get(XSI_LOC).split() == [
        NS["cfdi"],
        "http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd",
    ]


def test_xml_header_matches_invoice() -> None:
    inv = make_invoice()
    root = parse(render_invoice_xml(inv, TEAM))
    assert inv["total"] == 1582.0  # 1000 + 500 - 50 + 160 + 72 - 100 (pinned fixture)
    assert root.get("Serie") == "A" and root.get("Folio") == "123"
    assert root.get("Fecha") == "2024-05-01T10:00:00"
    assert root.get("SubTotal") == f"{inv['subtotal']:.2f}" == "1500.00"
    assert root.get("Descuento") == "50.00"
    assert root.get("Total") == "1582.00"
    assert root.get("Moneda") == "MXN" and root.get("TipoCambio") is None
    assert root.get("TipoDeComprobante") == "I" and root.get("Exportacion") == "01"
    assert root.get("MetodoPago") == "PUE" and root.get("FormaPago") == "03"
    assert root.get("LugarExpedicion") == "06600"
    # a real seal: SAT's cadena original signed with the key of the certificate in the file
    assert seal_verifies(render_invoice_xml(inv, TEAM))
    assert re.fullmatch(r"\d{20}", root.get("NoCertificado"))
    certificate = x509.load_der_x509_certificate(base64.b64decode(root.get("Certificado")))
    assert read_certificate(certificate.public_bytes(Encoding.DER)).rfc == "ENI200101AA1"


def test_xml_parties() -> None:
    root = parse(render_invoice_xml(make_invoice(), TEAM))
    emisor = root.find("cfdi:Emisor", NS)
    assert emisor.attrib == {
        "Rfc": "ENI200101AA1",
        "Nombre": "EMPRESA NIÑO Y CONSTRUCCIÓN",
        "RegimenFiscal": "601",
    }
    receptor = root.find("cfdi:Receptor", NS)
    assert receptor.attrib == {
        "Rfc": "CMU850101AB1",
        "Nombre": "COMERCIALIZADORA MUÑOZ",
        "DomicilioFiscalReceptor": "44100",
        "RegimenFiscalReceptor": "601",
        "UsoCFDI": "G03",
    }


def test_xml_receiver_fallbacks_without_receiver_block() -> None:
    inv = make_invoice(receiver=None, use="G01")
    inv["client"]["legal_name"] = None
    team = {"id": "team_x", "tax_id": "ENI200101AA1", "legal_name": "X"}
    root = parse(render_invoice_xml(inv, team))
    receptor = root.find("cfdi:Receptor", NS)
    assert receptor.get("Nombre") == "Muñoz"
    assert receptor.get("RegimenFiscalReceptor") == "616"
    assert receptor.get("DomicilioFiscalReceptor") == "00000"
    assert receptor.get("UsoCFDI") == "G01"
    assert root.get("LugarExpedicion") == "00000"
    assert root.find("cfdi:Emisor", NS).get("RegimenFiscal") == "601"


def test_xml_concepts_and_taxes() -> None:
    inv = make_invoice()
    root = parse(render_invoice_xml(inv, TEAM))
    concepts = root.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    assert len(concepts) == len(inv["items"]) == 2
    first, second = concepts
    assert first.get("ClaveProdServ") == "80141503" and first.get("ClaveUnidad") == "E48"
    assert first.get("Descripcion") == "Servicio de Construcción y diseño"
    assert first.get("ValorUnitario") == "1000.00" and first.get("Importe") == "1000.00"
    assert first.get("ObjetoImp") == "02" and first.get("Descuento") is None
    tr = first.find("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", NS)
    assert tr.attrib == {
        "Base": "1000.00",
        "Impuesto": "002",
        "TipoFactor": "Tasa",
        "TasaOCuota": "0.160000",
        "Importe": "160.00",
    }
    ret = first.find("cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion", NS)
    assert ret.get("Impuesto") == "001" and ret.get("Importe") == "100.00"
    assert second.get("Cantidad") == "2" and second.get("Descuento") == "50.00"
    assert second.find(".//cfdi:Traslado", NS).get("Base") == "450.00"
    assert second.find(".//cfdi:Traslado", NS).get("Importe") == "72.00"

    doc = root.find("cfdi:Impuestos", NS)
    assert doc.get("TotalImpuestosTrasladados") == "232.00"
    assert doc.get("TotalImpuestosRetenidos") == "100.00"
    traslados = doc.findall("cfdi:Traslados/cfdi:Traslado", NS)
    assert [(t.get("Base"), t.get("Importe")) for t in traslados] == [("1450.00", "232.00")]
    assert doc.find("cfdi:Retenciones/cfdi:Retencion", NS).attrib == {
        "Impuesto": "001",
        "Importe": "100.00",
    }
    net = (
        Decimal(root.get("SubTotal"))
        - Decimal(root.get("Descuento"))
        + Decimal(doc.get("TotalImpuestosTrasladados"))
        - Decimal(doc.get("TotalImpuestosRetenidos"))
    )
    assert net == Decimal(root.get("Total"))


def test_xml_timbre_fiscal_digital() -> None:
    inv = make_invoice()
    root = parse(render_invoice_xml(inv, TEAM))
    tfd = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert tfd.get("UUID") == inv["uuid"]
    assert tfd.get("Version") == "1.1"
    assert tfd.get("FechaTimbrado") == "2024-05-01T10:00:00"
    assert tfd.get("SelloCFD") == root.get("Sello")
    assert re.fullmatch(r"[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}", tfd.get("RfcProvCertif"))
    pac = sandbox_signer(RFC_PROV_CERTIF, PAC_NAME)  # the sandbox PAC's certificate
    assert tfd.get("NoCertificadoSAT") == pac.number
    xml = render_invoice_xml(inv, TEAM)
    assert verifies(pac.certificate, tfd.get("SelloSAT"), sat_tfd_cadena(xml))
    assert "TimbreFiscalDigitalv11.xsd" in tfd.get(XSI_LOC)


def test_xml_egress_related_documents() -> None:
    root = parse(render_invoice_xml(make_egress(), TEAM))
    assert root.get("TipoDeComprobante") == "E"
    rel = root.findall("cfdi:CfdiRelacionados", NS)
    assert len(rel) == 1 and rel[0].get("TipoRelacion") == "01"
    assert [d.get("UUID") for d in rel[0]] == [UUID_I]
    # XSD order: CfdiRelacionados before Emisor.
    tags = [child.tag.split("}")[1] for child in root]
    assert tags.index("CfdiRelacionados") < tags.index("Emisor")


def test_xml_payment_complement() -> None:
    inv = make_payment()
    root = parse(render_invoice_xml(inv, TEAM))
    assert root.get("TipoDeComprobante") == "P"
    assert root.get("MetodoPago") is None and root.get("FormaPago") is None
    assert root.get("SubTotal") == "0" and root.get("Total") == "0"
    assert root.get("Moneda") == "XXX"
    assert root.find("cfdi:Impuestos", NS) is None
    assert root.find("cfdi:Receptor", NS).get("UsoCFDI") == "CP01"
    (concept,) = root.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    assert concept.get("ClaveProdServ") == "84111506" and concept.get("ObjetoImp") == "01"
    assert NS["pago20"] in root.get(XSI_LOC)

    pagos = root.find("cfdi:Complemento/pago20:Pagos", NS)
    assert pagos.get("Version") == "2.0"
    assert pagos.find("pago20:Totales", NS).get("MontoTotalPagos") == "580.00"
    pago = pagos.find("pago20:Pago", NS)
    assert pago.get("FechaPago") == "2024-05-01T09:00:00"
    assert pago.get("FormaDePagoP") == "03" and pago.get("MonedaP") == "MXN"
    assert pago.get("Monto") == "580.00"
    (doc,) = pago.findall("pago20:DoctoRelacionado", NS)
    assert doc.get("IdDocumento") == UUID_I
    assert (doc.get("Serie"), doc.get("Folio"), doc.get("NumParcialidad")) == ("A", "123", "1")
    assert doc.get("ImpSaldoAnt") == "1160.00"
    assert doc.get("ImpPagado") == "580.00"
    assert doc.get("ImpSaldoInsoluto") == "580.00"
    # The timbre is still there, after the Pagos node.
    children = [c.tag for c in root.find("cfdi:Complemento", NS)]
    assert children[-1] == f"{{{NS['tfd']}}}TimbreFiscalDigital"
    assert root.find(".//tfd:TimbreFiscalDigital", NS).get("UUID") == UUID_P


def test_xml_global_invoice_and_inclusive_tax() -> None:
    inv = make_global()
    root = parse(render_invoice_xml(inv, TEAM))
    info = root.find("cfdi:InformacionGlobal", NS)
    assert info.attrib == {"Periodicidad": "04", "Meses": "05", "Año": "2024"}
    receptor = root.find("cfdi:Receptor", NS)
    assert receptor.get("Rfc") == "XAXX010101000"
    assert receptor.get("Nombre") == "PUBLICO EN GENERAL"
    assert receptor.get("RegimenFiscalReceptor") == "616"
    assert receptor.get("UsoCFDI") == "S01"
    # SAT: the generic RFC's fiscal address is the place of issue.
    assert receptor.get("DomicilioFiscalReceptor") == root.get("LugarExpedicion") == "06600"
    concept = root.find("cfdi:Conceptos/cfdi:Concepto", NS)
    assert concept.get("ValorUnitario") == "1000.00"  # 1160 with IVA included
    assert root.get("SubTotal") == "1000.00" and root.get("Total") == "1160.00"


def test_xml_exento_cuota_and_foreign_currency() -> None:
    items = [
        make_item("Libro", 200, taxes=[{"type": "IVA", "rate": 0, "factor": "Exento"}]),
        make_item(
            "Refresco",
            10,
            quantity=3,
            taxes=[
                {"type": "IEPS", "rate": 1.6451, "factor": "Cuota"},
                {"type": "IVA", "rate": 0.16},
            ],
        ),
    ]
    inv = make_invoice(items=items, currency="USD", exchange_rate=17.25)
    root = parse(render_invoice_xml(inv, TEAM))
    assert root.get("TipoCambio") == "17.25" and root.get("Moneda") == "USD"
    libro, refresco = root.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    ex = libro.find(".//cfdi:Traslado", NS)
    assert ex.get("TipoFactor") == "Exento" and ex.get("Impuesto") == "002"
    assert ex.get("TasaOCuota") is None and ex.get("Importe") is None
    ieps = refresco.find(".//cfdi:Traslado[@Impuesto='003']", NS)
    assert ieps.get("TipoFactor") == "Cuota" and ieps.get("TasaOCuota") == "1.645100"
    assert ieps.get("Importe") == "4.94"  # 3 × 1.6451 = 4.9353
    doc = root.find("cfdi:Impuestos", NS)
    assert doc.get("TotalImpuestosRetenidos") is None
    # LIVA art. 12: IVA is paid on the price plus the IEPS, 16 % of 30 + 4.94 = 5.59
    iva = refresco.find(".//cfdi:Traslado[@Impuesto='002']", NS)
    assert iva.get("Base") == "34.94" and iva.get("Importe") == "5.59"
    assert doc.get("TotalImpuestosTrasladados") == "10.53"  # 4.94 + 5.59
    assert root.get("Total") == f"{inv['total']:.2f}" == "240.53"


def test_xml_is_deterministic() -> None:
    assert render_invoice_xml(make_payment(), TEAM) == render_invoice_xml(make_payment(), TEAM)


def test_money() -> None:
    assert money(1160) == "$1,160.00"
    assert money(1160, "MXN") == "$1,160.00 MXN"
    assert money(1234567.891) == "$1,234,567.89"
    assert money(0.125) == "$0.13"  # half-up, not banker's
    assert money(-50) == "-$50.00"


# --------------------------------------------------------------------------- PDF


def test_pdf_shows_the_invoice() -> None:
    inv = make_invoice()
    pdf = render_invoice_pdf(inv, TEAM)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    text = pdf_text(pdf)
    for needle in (
        "Factura",
        "A-123",
        UUID_I,
        "ENI200101AA1",
        "CMU850101AB1",
        "EMPRESA NIÑO Y CONSTRUCCIÓN",
        "Servicio de Construcción y diseño",
        "Asesoría técnica",
        "$1,582.00 MXN",
        "$1,500.00",
        "verificacfdi.facturaelectronica.sat.gob.mx",
        "SIN VALIDEZ FISCAL",
    ):
        assert needle in text, needle
    assert "CANCELADA" not in text


@pytest.mark.parametrize(
    ("builder", "title", "needles"),
    [
        (make_egress, "Nota de crédito", ["NC-7", "Bonificación por retraso", UUID_E]),
        (make_payment, "Complemento de pago", ["P-3", "$580.00", UUID_I, "$1,160.00"]),
        (make_global, "Factura", ["G-1", "XAXX010101000", "$1,160.00 MXN"]),
    ],
)
def test_pdf_titles_by_type(builder: Any, title: str, needles: list[str]) -> None:
    text = pdf_text(render_invoice_pdf(builder(), TEAM))
    assert title in text
    for needle in needles:
        assert needle in text, needle


def test_pdf_cancelled_mark() -> None:
    inv = make_invoice(
        status="cancelled",
        cancellation_status="accepted",
        cancellation_motive="02",
        cancelled_at=STAMP_AT + 86400,
        livemode=True,
    )
    text = pdf_text(render_invoice_pdf(inv, TEAM))
    assert "CANCELADA" in text and "2024-05-02" in text
    # a live document without a CSD is sealed with the sandbox's own certificate, and says so
    assert "SIN VALIDEZ FISCAL" in text and "certificado autofirmado del sandbox" in text
    assert "modo de pruebas" not in text
    assert UUID_I in text and "$1,582.00 MXN" in text
    sealed_by_csd = pdf_text(render_invoice_pdf(inv, {**TEAM, "_csd": _eku_signer()}))
    assert "CANCELADA" in sealed_by_csd and "SIN VALIDEZ FISCAL" not in sealed_by_csd


def _eku_signer() -> Signer:
    """SAT's test CSD of EKU9003173C9 as an upload leaves it on the team."""
    info = read_certificate(cert_bytes("csd_moral_EKU9003173C9_valid.cer"))
    key = load_private_key(cert_bytes("csd_moral_EKU9003173C9_valid.key"), cert_password())
    return csd_signer(info.der, info.certificate_number, key)


def test_an_uploaded_csd_seals_the_xml() -> None:
    xml = render_invoice_xml(
        make_invoice(), {**TEAM, "tax_id": "EKU9003173C9", "_csd": _eku_signer()}
    )
    root = parse(xml)
    assert root.get("NoCertificado") == "30001000000500003416"
    assert base64.b64decode(root.get("Certificado")) == cert_bytes(
        "csd_moral_EKU9003173C9_valid.cer"
    )
    assert seal_verifies(xml)


def test_pdf_many_items_flow_onto_more_pages() -> None:
    items = [make_item(f"Partida número {n:03d}", 10 + n) for n in range(1, 91)]
    inv = make_invoice(items=items)
    pdf = render_invoice_pdf(inv, TEAM)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    text = pdf_text(pdf)
    assert "Partida número 001" in text and "Partida número 090" in text
    assert f"Página {pages} de {pages}" in text
    assert money(inv["total"], "MXN") in text


def test_pdf_is_deterministic() -> None:
    assert render_invoice_pdf(make_invoice(), TEAM) == render_invoice_pdf(make_invoice(), TEAM)


def test_pdf_text_with_pdftotext() -> None:
    exe = require_tool("pdftotext")
    out = subprocess.run(
        [exe, "-", "-"],
        input=render_invoice_pdf(make_invoice(), TEAM),
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout.decode("utf-8")
    for needle in ("A-123", UUID_I, "ENI200101AA1", "CMU850101AB1", "Asesoría técnica"):
        assert needle in out, needle
    assert "$1,582.00 MXN" in out


def test_pdf_renders_with_pdftoppm(tmp_path: Path) -> None:
    exe = require_tool("pdftoppm")
    src = tmp_path / "invoice.pdf"
    src.write_bytes(render_invoice_pdf(make_payment(), TEAM))
    subprocess.run(
        [
            exe,
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(src),
            str(tmp_path / "p"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    png = (tmp_path / "p.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_sparse_invoice_still_renders() -> None:
    """Half-filled test data (no sello, no URL, no names) must not break file downloads."""
    inv = {
        "uuid": UUID_I,
        "invoice_type": "I",
        "client": {"tax_id": "XAXX010101000"},
        "items": [{"description": "Algo", "unit_price": 10}],
        "subtotal": 10,
        "total": 10,
        "created_at": STAMP_AT,
    }
    root = parse(render_invoice_xml(inv, {}))
    assert root.get("Sello") and base64.b64decode(root.get("Sello"), validate=True)
    assert root.find("cfdi:Receptor", NS).get("Nombre") == "PUBLICO EN GENERAL"
    assert root.find(".//tfd:TimbreFiscalDigital", NS).get("UUID") == UUID_I
    text = pdf_text(render_invoice_pdf(inv, {}))
    assert UUID_I in text and "Algo" in text and "$10.00 MXN" in text
    assert "tt=10.00" in text


JANUARY = 1704124800  # 2024-01-01T16:00:00Z = 10:00 in Mexico City, winter at the US border


@pytest.mark.parametrize(
    ("zip_code", "stamp_at", "fecha"),
    [
        ("06600", STAMP_AT, "2024-05-01T10:00:00"),  # Mexico City
        ("80000", STAMP_AT, "2024-05-01T09:00:00"),  # Culiacán: Pacific, no DST
        ("83000", STAMP_AT, "2024-05-01T09:00:00"),  # Hermosillo: Sonora, no DST
        ("77500", STAMP_AT, "2024-05-01T11:00:00"),  # Cancún: Quintana Roo, UTC−5
        ("22000", STAMP_AT, "2024-05-01T09:00:00"),  # Tijuana: border, US summer time
        ("22000", JANUARY, "2024-01-01T08:00:00"),  # … and its winter
        ("32000", STAMP_AT, "2024-05-01T11:00:00"),  # Ciudad Juárez: Centro en Frontera
        ("32000", JANUARY, "2024-01-01T10:00:00"),
    ],
)
def test_fecha_is_the_local_time_of_the_place_of_issue(zip_code, stamp_at, fecha) -> None:
    team = {**TEAM, "address": {**TEAM["address"], "zip": zip_code}}
    invoice = make_invoice(stamp={"stamp_at": stamp_at, "sello": "c2VsbG8="}, created_at=stamp_at)
    root = parse(render_invoice_xml(invoice, team))
    assert root.get("LugarExpedicion") == zip_code and root.get("Fecha") == fecha
    stamp = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert stamp.get("FechaTimbrado")[11:] == "10:00:00"  # the PAC's: Mexico City time


def test_a_foreign_receiver_prints_its_residence_and_tax_id() -> None:
    client = {"id": "client_x", "legal_name": "CONTOSO LTD", "tax_id": "XEXX010101000"}
    receiver = {"tax_system": "616", "zip": "06600", "use": "S01"}
    foreign = {**receiver, "country": "USA", "foreign_tax_id": "98-7654321"}
    receptor = parse(render_invoice_xml(make_invoice(client=client, receiver=foreign), TEAM)).find(
        "cfdi:Receptor", NS
    )
    assert (
        receptor.get("ResidenciaFiscal") == "USA" and receptor.get("NumRegIdTrib") == "98-7654321"
    )
    national = parse(render_invoice_xml(make_invoice(receiver=foreign), TEAM)).find(
        "cfdi:Receptor", NS
    )
    assert national.get("ResidenciaFiscal") is None  # an RFC of Mexico has no residence abroad
