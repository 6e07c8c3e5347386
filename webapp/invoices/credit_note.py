"""A credit note (egress CFDI) from an income invoice: the same receiver, relationship 01 to
that invoice, the items to credit (all or some, quantities editable) and a total never above
the invoice's; one idempotency key per opened form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort

from webapp.i18n import gettext as _
from webapp.sales.context import NO_TOTALS, totals_of
from webapp.sales.items import item_input

from .forms import CreditNoteForm


def creditable(invoice: dict[str, Any]) -> dict[str, Any]:
    """A valid income invoice, or the 404 page (only those take a credit note)."""
    if invoice.get("invoice_type") != "I" or invoice.get("status") != "valid":
        abort(404)
    return invoice


def credit_form(invoice: dict[str, Any]) -> CreditNoteForm:
    """The form as sent, or opened with every item credited whole (and a new idempotency
    key, :class:`webapp.sales.forms.IdempotencyKeyField`); one row per invoice item either
    way."""
    form = CreditNoteForm()
    if not form.is_submitted():
        form = CreditNoteForm(
            formdata=None,
            data={
                "rows": [
                    {"include": True, "quantity": Decimal(str(item.get("quantity") or 1))}
                    for item in invoice.get("items") or []
                ]
            },
        )
    while len(form.rows) < len(invoice.get("items") or []):
        form.rows.append_entry({"include": False})
    return form


def credit_totals(items: list[dict[str, Any]]) -> dict[str, Any]:
    return totals_of(items) if items else NO_TOTALS


def credited_items(invoice: dict[str, Any], form: CreditNoteForm) -> list[dict[str, Any]]:
    """The invoice's items the form keeps, with the quantities typed (never above the
    original's)."""
    chosen = []
    for original, row in zip(invoice.get("items") or [], form.rows, strict=False):
        if not row.form.include.data:
            continue
        quantity = row.form.quantity.data
        quantity = float(quantity) if quantity is not None else float(original.get("quantity") or 1)
        item = {k: v for k, v in item_input(original).items() if k != "discount"}
        item["quantity"] = quantity
        invoiced = float(original.get("quantity") or 0)
        if original.get("discount") and invoiced:
            # the discount follows the share of the line credited
            item["discount"] = round(float(original["discount"]) * quantity / invoiced, 2)
        chosen.append(item)
    return chosen


def problems(
    invoice: dict[str, Any], form: CreditNoteForm, items: list[dict[str, Any]]
) -> list[str]:
    """What keeps this credit note from being issued (checked before any call)."""
    found = []
    if not items:
        found.append(_("Choose at least one item to credit."))
    if any(item["quantity"] <= 0 for item in items):
        found.append(_("Quantities must be more than 0."))
    for original, row in zip(invoice.get("items") or [], form.rows, strict=False):
        typed = row.form.quantity.data
        if (
            row.form.include.data
            and typed is not None
            and float(typed) > float(original.get("quantity") or 0)
        ):
            found.append(_("A quantity is above the invoice's."))
            break
    total = credit_totals(items)["total"]
    if total > float(invoice.get("total") or 0) + 0.005:
        found.append(
            _(
                "The credit note (%(total)s) cannot be above the invoice's total.",
                total=f"{total:,.2f}",
            )
        )
    return found


def note_body(
    invoice: dict[str, Any], form: CreditNoteForm, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """The egress invoice: the invoice's receiver, relationship 01 to it, the items credited,
    the series chosen (none: gigstack's own pick, named on the form), the form's
    idempotency key."""
    body = {
        "client": {"id": (invoice.get("client") or {}).get("id")},
        "items": items,
        "payment_form": invoice.get("payment_form")
        if invoice.get("payment_form") != "99"
        else "15",
        "payment_method": "PUE",
        "use": "G02",
        "currency": invoice.get("currency") or "MXN",
        "related_documents": [{"relationship": "01", "documents": [invoice["uuid"]]}],
        "idempotency_key": form.idempotency_key.data,
    }
    if body["currency"] != "MXN":
        body["exchange_rate"] = invoice.get("exchange_rate")
    if form.series.data:
        body["series"] = form.series.data
    return body
