"""A new invoice opened as a copy of another: "Issue the substitute" (it then relates to the
one it replaces, 04) and "Duplicate" (no relation) fill the form with the original's client,
items, payment method and form, use, currency and series, so nothing is typed again."""

from __future__ import annotations

from typing import Any

from webapp.api import api
from webapp.domain.money import compute_totals
from webapp.i18n import gettext as _
from webapp.panels import Panel, panel
from webapp.sales.items import editor_row
from webapp.services.taxes import taxes_from_choices

from .forms import InvoiceForm
from .lookup import document_name


def original(uuid: str) -> Panel[dict[str, Any]]:
    """The income invoice to copy, as a panel: the form says when gigstack did not give it
    (and opens blank) rather than open blank with no word. Upstream call:
    ``GET /invoices/income/{uuid}``."""
    return panel(lambda: api().invoices.get(uuid, "income"))


def copy_into(form: InvoiceForm, invoice: dict[str, Any]) -> list[str]:
    """Fill ``form`` from ``invoice``; returns what the copy could not carry (said before
    stamping): a total that differs because a discount or a tax the editor has no field
    for was left out."""
    rows = [editor_row(item) for item in invoice.get("items") or []]
    while len(form.items):
        form.items.pop_entry()
    for row in rows or [{}]:
        form.items.append_entry(row)
    form.client_id.data = (invoice.get("client") or {}).get("id") or form.client_id.data
    form.payment_method.data = invoice.get("payment_method") or "PUE"
    form.payment_form.data = invoice.get("payment_form") or ""
    form.use.data = invoice.get("use") or ""
    form.currency.data = invoice.get("currency") or "MXN"
    if form.currency.data != "MXN" and invoice.get("exchange_rate"):
        form.exchange_rate.data = invoice["exchange_rate"]
    form.series.data = invoice.get("series") or ""
    copied = compute_totals(
        {
            "quantity": row["quantity"],
            "unit_price": row["unit_price"],
            "taxes": taxes_from_choices(
                row["iva"], row["iva_withheld"], row["isr_withheld"], None, False
            ),
        }
        for row in rows
    )["total"]
    if abs(copied - float(invoice.get("total") or 0)) < 0.005:
        return []
    return [
        _(
            "The copy totals %(copy)s and %(original)s totalled %(total)s: a discount or a "
            "tax this form has no field for was left out. Check the items.",
            copy=f"{copied:,.2f}",
            original=document_name(invoice),
            total=f"{float(invoice.get('total') or 0):,.2f}",
        )
    ]
