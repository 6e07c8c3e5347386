"""The PAC's rules (webapp.sat.rules) that the sandbox refuses with and the dashboard's
pre-stamp report says before sending: every refusal, on its API field, and what passes."""

from __future__ import annotations

import pytest

from webapp.sat import rules

ITEM = {
    "description": "Consultoría",
    "quantity": 1,
    "unit_price": 1000,
    "product_key": "81111500",
    "unit_key": "E48",
    "taxes": [{"type": "IVA", "rate": 0.16, "factor": "Tasa"}],
}
CLIENT = {"tax_id": "PEGL800101AB1", "address": {"zip": "06700", "country": "MEX"}}
FOREIGN = {
    "tax_id": "XEXX010101000",
    "address": {"zip": "06600", "country": "USA"},
    "metadata": {rules.FOREIGN_TAX_ID: "98-7654321"},
}


def _item(**over):
    return {**ITEM, **over}


def _fields(body: dict, client: dict = CLIENT) -> list[str]:
    return [p.field for p in rules.invoice_problems({"items": [ITEM], **body}, client)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [_item(product_key="99999999")]}, "items[0].product_key"),
        ({"items": [_item(unit_key="QQQ")]}, "items[0].unit_key"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": "XXX"}, "currency"),  # a P document's, never an invoice's
        ({"items": [_item(description="a|b")]}, "items[0].description"),
        ({"items": [_item(unit_name="a|b")]}, "items[0].unit_name"),
        ({"items": [_item(unit_price=0)]}, "items[0].taxes"),
        ({"items": [_item(taxes=[{"type": "IVA", "rate": 0.15}])]}, "items[0].taxes[0].rate"),
        ({"items": [_item(taxes=[{"type": "IEPS", "rate": 0.10}])]}, "items[0].taxes[0].rate"),
        (
            {"items": [_item(taxes=[{"type": "ISR", "rate": 0.40, "withholding": True}])]},
            "items[0].taxes[0].rate",
        ),
        ({"items": [_item(taxability="03")]}, "items[0].taxability"),
        ({"items": [_item(taxability="01")]}, "items[0].taxability"),
        ({"items": [_item(taxes=[], taxability="02")]}, "items[0].taxability"),
        ({"global": {"periodicity": "05", "months": "01"}}, "global.months"),
        ({"global": {"periodicity": "04", "months": "13"}}, "global.months"),
        ({"exports": "02"}, "exports"),
        ({"exports": "02", "complements": [{"type": "addenda", "data": "<x/>"}]}, "exports"),
        ({"folio_number": 10**40}, "folio_number"),
    ],
)
def test_each_refusal_names_its_field(body, field):
    assert _fields(body) == [field]


def test_a_foreign_receiver_needs_its_country_and_tax_id():
    assert _fields({}, FOREIGN) == []
    assert _fields({}, {**FOREIGN, "metadata": {}}) == [f"client.metadata.{rules.FOREIGN_TAX_ID}"]
    for country in ("", "MEX", "QQQ"):
        client = {**FOREIGN, "address": {"zip": "06600", "country": country}}
        assert _fields({}, client) == ["client.address.country"]
    assert rules.foreign_receiver(FOREIGN) == {"country": "USA", "tax_id": "98-7654321"}
    assert rules.foreign_receiver(CLIENT) is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"currency": "usd"},
        {"items": [_item(taxes=[], taxability="03")]},
        {"items": [_item(unit_price=0, taxes=[])]},
        {"items": [_item(quantity=3, taxes=[{"type": "IEPS", "rate": 1.5, "factor": "Cuota"}])]},
        {"items": [_item(taxes=[{"type": "IVA", "rate": 0, "factor": "Exento"}])]},
        {"global": {"periodicity": "05", "months": "18"}},
        {"exports": "02", "complements": [{"type": "cce20", "data": "<cce20:ComercioExterior/>"}]},
        {"folio_number": 10**40 - 1},
    ],
)
def test_what_a_pac_stamps_passes(body):
    assert _fields(body) == []


def test_messages_are_said_with_their_values():
    (problem,) = rules.invoice_problems({"items": [_item(unit_key="QQQ")]}, CLIENT)
    assert problem.item == 0
    assert problem.text == "QQQ is not a unit key of SAT's catalogue (c_ClaveUnidad)"
