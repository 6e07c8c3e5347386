"""Finding an invoice by its UUID whatever its type (income, egress, payment complement)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort

from webapp.api import api
from webapp.gigstack.errors import NotFound
from webapp.parallel import gather

KINDS = {"income": "I", "egress": "E", "payment": "P"}


def find_invoice(uuid: str) -> dict[str, Any]:
    """The invoice with this UUID, whatever its type (the three gets run at once)."""
    return find_invoice_with(uuid)[0]


def find_invoice_with(uuid: str, *also: Callable[[], Any]) -> tuple[dict[str, Any], list[Any]]:
    """The invoice, and the results of ``also`` — calls that do not need the invoice, run in
    the same round as the three typed gets (one round trip instead of two)."""
    client = api()

    def get(kind: str):
        try:
            return client.invoices.get(uuid, kind)
        except NotFound:
            return None

    results = gather(*[lambda k=k: get(k) for k in KINDS], *also)
    found = next((inv for inv in results[: len(KINDS)] if inv), None)
    if found is None:
        abort(404)
    return found, results[len(KINDS) :]


def kind_of(invoice: dict[str, Any]) -> str:
    return {"I": "income", "E": "egress", "P": "payment"}.get(invoice.get("invoice_type"), "income")


def folio_of(invoice: dict[str, Any]) -> str:
    """``<series>-<folio>`` as the pages show it."""
    return f"{invoice.get('series') or ''}-{invoice.get('folio_number') or ''}"
