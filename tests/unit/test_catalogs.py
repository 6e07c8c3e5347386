"""The shipped catalogue copies stay identical to the contract's, and the helpers read them."""

from __future__ import annotations

import json

import pytest

from tests.support.paths import CATALOGS_DIR
from webapp import catalogs


@pytest.mark.parametrize("name", catalogs.NAMES)
def test_catalogue_copy_matches_contract(name):
    shipped = json.loads((catalogs.DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    contract = json.loads((CATALOGS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert shipped == contract


def test_every_contract_catalogue_is_shipped():
    assert {p.stem for p in CATALOGS_DIR.glob("*.json")} == set(catalogs.NAMES)


def test_aliases_resolve_to_canonical_codes():
    assert catalogs.canonical("invoice_statuses", "stamped") == "valid"
    assert catalogs.canonical("invoice_statuses", "canceled") == "cancelled"
    assert catalogs.canonical("automation_types", "payment") == "pue_invoice"
    assert catalogs.canonical("webhook_events", "payment.cancelled") == "payment.canceled"
    assert catalogs.canonical("invoice_statuses", "nope") is None


def test_regime_and_use_rules():
    assert catalogs.regime_fits_person("601", "moral")
    assert not catalogs.regime_fits_person("601", "fisica")
    assert catalogs.use_allowed_for_regime("G03", "601")
    assert not catalogs.use_allowed_for_regime("D01", "601")
    assert catalogs.label("payment_forms", "03") == "03 — Transferencia electrónica de fondos"


def test_current_uses_follow_the_regime_and_never_offer_p01():
    def codes(**given):
        return {entry["code"] for entry in catalogs.current_uses(**given)}

    assert "P01" in {e["code"] for e in catalogs.entries("cfdi_uses")}  # gigstack still takes it
    assert "P01" not in codes() and "G03" in codes() and "D10" in codes()
    assert codes(regime="605") == {f"D{n:02d}" for n in range(1, 11)} | {"S01", "CP01", "CN01"}
    assert "D01" not in codes(person="moral") and "D01" in codes(person="fisica")
    assert catalogs.use_choices("601")[0] == ("G01", "G01 — Adquisición de mercancías")
