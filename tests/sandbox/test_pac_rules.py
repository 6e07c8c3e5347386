"""What a PAC refuses is refused before stamping, on the field, and nothing moves (issue 21.4);
a foreign receiver's residence and tax id in the XML (21.6); ``Fecha`` in the local time of the
place of issue (21.5)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.sandbox.test_invoices_support import ITEM, IVA16, create, income_body, person, unique
from webapp.sandbox import builders

CFDI = "{http://www.sat.gob.mx/cfd/4}"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}"
FOREIGN = {
    "name": "Contoso Ltd",
    "legal_name": "CONTOSO LTD",
    "tax_id": "XEXX010101000",
    "tax_system": "616",
    "use": "S01",
    "address": {"country": "USA", "zip": "06600"},
    "metadata": {"foreign_tax_id": "98-7654321"},
}


def _counts(store) -> tuple[int, int, int]:
    return tuple(len(store.objects[kind]) for kind in ("invoices", "clients", "services"))


def _refused(sandbox, raw, body: dict) -> dict[str, str]:
    """POST ``body``: 400, nothing stored; the details by field."""
    before = _counts(sandbox.store)
    response = raw.post("/invoices/income", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("invalid_field_value", "validation_failed")
    assert _counts(sandbox.store) == before
    return {d["field"]: d["message"] for d in response.json()["details"]}


def _xml(raw, uuid: str) -> ET.Element:
    links = raw.get(f"/invoices/{uuid}/files", params={"file_type": "xml"}).json()["data"]
    return ET.fromstring(requests.get(links["xml"], timeout=30).content)


def _item(**over) -> dict:
    return {**ITEM, **over}


@pytest.mark.parametrize(
    ("body", "field", "said"),
    [
        ({"items": [_item(product_key="99999999")]}, "items[0].product_key", "c_ClaveProdServ"),
        ({"items": [_item(unit_key="QQQ")]}, "items[0].unit_key", "c_ClaveUnidad"),
        ({"currency": "ABC", "exchange_rate": 2}, "currency", "c_Moneda"),
        ({"items": [_item(description="Renta | mayo")]}, "items[0].description", "'|'"),
        ({"items": [_item(sku="A|B")]}, "items[0].sku", "'|'"),
        ({"items": [_item(unit_price=0)]}, "items[0].taxes", "base above 0"),
        (
            {"items": [_item(quantity=1, unit_price=100, discount=100)]},
            "items[0].taxes",
            "base above 0",
        ),
        (
            {"items": [_item(taxes=[{"type": "IVA", "rate": 0.15}])]},
            "items[0].taxes[0].rate",
            "0.15 is not a rate of SAT's catalogue (c_TasaOCuota) for IVA Tasa transferred",
        ),
        (
            {"items": [_item(taxes=[{"type": "IEPS", "rate": 0.10}, IVA16])]},
            "items[0].taxes[0].rate",
            "for IEPS Tasa transferred",
        ),
        (
            {"items": [_item(taxes=[IVA16, {"type": "ISR", "rate": 0.40, "withholding": True}])]},
            "items[0].taxes[1].rate",
            "0.4 is not a rate of SAT's catalogue (c_TasaOCuota) for ISR Tasa withheld",
        ),
        ({"items": [_item(taxability="03")]}, "items[0].taxability", "carries no taxes"),
        ({"items": [_item(taxes=[], taxability="02")]}, "items[0].taxability", "needs the item"),
        ({"exports": "02"}, "exports", "Comercio Exterior"),
        ({"folio_number": 10**40}, "folio_number", "at most 40 digits"),
        (
            {"client": {**FOREIGN, "metadata": {}}},
            "client.metadata.foreign_tax_id",
            "tax registration number",
        ),
        (
            {"client": {**FOREIGN, "address": {"country": "MEX", "zip": "06600"}}},
            "client.address.country",
            "country of residence",
        ),
    ],
)
def test_what_a_pac_refuses_is_refused_on_the_field(sandbox, raw, body, field, said):
    details = _refused(sandbox, raw, income_body(**body))
    assert list(details) == [field]
    assert said in details[field]


def test_a_global_invoice_whose_periodicity_and_months_differ(sandbox, raw):
    public = next(
        c
        for c in sandbox.store.all("clients", raw_team(sandbox), False)
        if c["legal_name"] == "PUBLICO EN GENERAL"
    )
    body = income_body(client={"id": public["id"]}, use="S01")
    for periodicity, months in (("05", "01"), ("04", "14")):
        wrong = {"periodicity": periodicity, "months": months, "year": 2026}
        assert list(_refused(sandbox, raw, {**body, "global": wrong})) == ["global.months"]
    bimester = {"periodicity": "05", "months": "14", "year": 2026}
    response = raw.post("/invoices/income", json={**body, "global": bimester})
    assert response.status_code == 201, response.text


def test_an_oversized_folio_moves_no_counter(sandbox, raw):
    with sandbox.store.lock:
        series = builders.build_series(sandbox.store, raw_team(sandbox), unique("F"), test=7)
    name = series["series"]
    details = _refused(sandbox, raw, income_body(series=name, folio_number=10**40))
    assert list(details) == ["folio_number"]
    assert series["test"] == 7
    widest = 10**40 - 1  # 40 digits: SAT's widest Folio
    assert create(raw, series=name, folio_number=widest)["folio_number"] == widest
    details = _refused(sandbox, raw, income_body(series=name))  # its next folio has 41
    assert list(details) == ["folio_number"] and series["test"] == widest


def test_exports_02_with_its_complement_and_rates_of_the_catalogue_are_stamped(raw):
    complement = {"type": "cce20", "data": "<cce20:ComercioExterior/>"}
    assert create(raw, exports="02", complements=[complement])["exports"] == "02"
    withheld = [IVA16, {"type": "IVA", "rate": 0.106667, "withholding": True}]
    assert create(raw, items=[_item(taxes=withheld)])["taxes"] == 53.33
    border = create(raw, items=[_item(taxes=[{"type": "IVA", "rate": 0.08}])])
    assert border["taxes"] == 80


def test_iva_is_paid_on_the_price_plus_ieps(raw):
    """LIVA art. 12: 1000 of a sugary drink, IEPS 26.5 % = 265, IVA 16 % of 1265 = 202.40."""
    taxes = [{"type": "IEPS", "rate": 0.265}, IVA16]
    inv = create(raw, items=[_item(taxes=taxes)])
    assert (inv["subtotal"], inv["taxes"], inv["total"]) == (1000, 467.4, 1467.4)
    iva = _xml(raw, inv["uuid"]).find(f".//{CFDI}Concepto//{CFDI}Traslado[@Impuesto='002']")
    assert (iva.get("Base"), iva.get("Importe")) == ("1265.00", "202.40")


def test_a_foreign_receiver_carries_its_residence_and_tax_id(raw):
    inv = create(raw, client=dict(FOREIGN), use="S01", currency="USD", exchange_rate=17.5)
    receptor = _xml(raw, inv["uuid"]).find(f"{CFDI}Receptor")
    assert receptor.get("Rfc") == "XEXX010101000"
    assert receptor.get("ResidenciaFiscal") == "USA"
    assert receptor.get("NumRegIdTrib") == "98-7654321"
    national = _xml(raw, create(raw, client=person())["uuid"]).find(f"{CFDI}Receptor")
    assert national.get("ResidenciaFiscal") is None and national.get("NumRegIdTrib") is None


def test_fecha_is_the_local_time_of_the_place_of_issue(raw, teams, restore_sandbox):
    """A team in Culiacán (Pacific time, UTC−7) stamps at 10:00 in Mexico City: its ``Fecha``
    says 09:00; the TFD's ``FechaTimbrado`` stays Mexico City's."""
    team = teams["partner"]
    moved = raw.put(f"/teams/{team}", json={"address": {"country": "MEX", "zip": "80000"}})
    assert moved.status_code == 200, moved.text
    root = _xml(raw, create(raw)["uuid"])
    assert root.get("LugarExpedicion") == "80000"
    stamped = root.find(f"{CFDI}Complemento/{TFD}TimbreFiscalDigital").get("FechaTimbrado")
    local = dt.datetime.fromisoformat(stamped) - dt.timedelta(hours=1)
    assert root.get("Fecha") == local.isoformat(timespec="seconds")


def raw_team(sandbox) -> str:
    return sandbox.store.key_by_name("partner_test").team
