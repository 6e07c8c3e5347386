"""Shared builders for the invoice tests (no tests here): bodies, inline clients, callers."""

from __future__ import annotations

import itertools
from typing import Any

from webapp.sandbox.context import Caller
from webapp.sandbox.store import Store

_counter = itertools.count(1)

IVA16 = {"type": "IVA", "rate": 0.16}
ITEM = {
    "description": "Consultoría",
    "unit_price": 1000,
    "product_key": "81111500",
    "unit_key": "E48",
    "taxes": [IVA16],
}


def unique(prefix: str = "") -> str:
    return f"{prefix}{next(_counter):04d}"


def person(**over: Any) -> dict[str, Any]:
    """An inline ClientInput for a persona física (612), complete for invoicing."""
    n = unique()
    return {
        "name": f"Laura Pérez {n}",
        "legal_name": f"LAURA PEREZ GOMEZ {n}",
        "tax_id": "PEGL800101AB1",
        "tax_system": "612",
        "email": f"laura{n}@example.com",
        "address": {"zip": "06700", "country": "MEX"},
        **over,
    }


def company(**over: Any) -> dict[str, Any]:
    n = unique()
    return {
        "name": f"Acme {n}",
        "legal_name": f"ACME COMERCIAL {n}",
        "tax_id": "ACM010101AB1",
        "tax_system": "601",
        "email": f"pagos{n}@acme.example.com",
        "address": {"zip": "44100"},
        **over,
    }


def income_body(**over: Any) -> dict[str, Any]:
    return {"client": person(), "items": [dict(ITEM)], "payment_form": "03", **over}


def create(raw: Any, kind: str = "income", **over: Any) -> dict[str, Any]:
    """POST an invoice that must succeed; returns ``data``."""
    response = raw.post(f"/invoices/{kind}", json=income_body(**over))
    assert response.status_code == 201, response.text
    return response.json()["data"]


def who(store: Store, key_name: str = "partner_test", team_id: str | None = None) -> Caller:
    """An in-process :class:`Caller` (hold ``store.lock`` while using it)."""
    record = store.key_by_name(key_name)
    return Caller(key=record, team_id=team_id or record.team, store=store)


def fields(response: Any) -> list[str]:
    return [d["field"] for d in response.json().get("details", [])]


def detail(response: Any, field: str) -> str:
    for item in response.json()["details"]:
        if item["field"] == field:
            return item["message"]
    raise AssertionError(f"no detail for {field}: {response.json()}")
