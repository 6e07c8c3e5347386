"""A credit note (egress CFDI) from an income invoice: the same receiver, relationship 01 to
that invoice, the items to credit (all or some, quantities editable) and a total never above
the invoice's; one idempotency key per opened form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, FieldList, Form, FormField, HiddenField
from wtforms.validators import Optional

from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.domain.money import compute_totals
from webapp.forms import BackofficeForm
from webapp.gigstack import GigstackError, new_idempotency_key
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.pages import apply_api_errors, form_failed, navigate, render_page

from .routes import bp, find_invoice


class CreditRow(Form):
    include = BooleanField(_l("Credit"), default=True)
    quantity = DecimalField(_l("Quantity"), places=None, validators=[Optional()])


class CreditNoteForm(BackofficeForm):
    idempotency_key = HiddenField()
    rows = FieldList(FormField(CreditRow))


def credited_items(invoice: dict[str, Any], form: CreditNoteForm) -> list[dict[str, Any]]:
    """The invoice's items the form keeps, with the quantities typed (never above the
    original's)."""
    chosen = []
    for original, row in zip(invoice.get("items") or [], form.rows, strict=False):
        if not row.form.include.data:
            continue
        quantity = row.form.quantity.data
        quantity = float(quantity) if quantity is not None else float(original.get("quantity") or 1)
        item = {
            key: original.get(key)
            for key in (
                "description",
                "unit_price",
                "product_key",
                "unit_key",
                "unit_name",
                "sku",
                "taxability",
                "taxes",
            )
            if original.get(key) is not None
        } | {"quantity": quantity}
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
    total = compute_totals(items)["total"] if items else 0
    if total > float(invoice.get("total") or 0) + 0.005:
        found.append(
            _(
                "The credit note (%(total)s) cannot be above the invoice's total.",
                total=f"{total:,.2f}",
            )
        )
    return found


@bp.route("/<uuid>/credit-note", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def credit_note(uuid: str):
    """Upstream calls: the invoice; on issue ``POST /invoices/egress`` with relationship 01."""
    invoice = find_invoice(uuid)
    if invoice.get("invoice_type") != "I" or invoice.get("status") != "valid":
        abort(404)
    form = CreditNoteForm()
    if not form.is_submitted():
        form = CreditNoteForm(
            formdata=None,
            data={
                "idempotency_key": new_idempotency_key(),
                "rows": [
                    {"include": True, "quantity": Decimal(str(item.get("quantity") or 1))}
                    for item in invoice.get("items") or []
                ],
            },
        )
    while len(form.rows) < len(invoice.get("items") or []):
        form.rows.append_entry({"include": False})
    items = credited_items(invoice, form)
    blocking = problems(invoice, form, items)
    totals = compute_totals(items) if items else {"subtotal": 0, "taxes": 0, "total": 0}
    context = {"form": form, "invoice": invoice, "blocking": blocking, "totals": totals}
    if request.method == "GET" or request.form.get("action") != "issue":
        return render_page("invoices/credit_note.html", "invoices/_credit_note.html", **context)
    if not form.validate() or blocking:
        return form_failed(
            "invoices/credit_note.html",
            "invoices/_credit_note.html",
            "credit-note-form",
            error=_("The credit note was not issued."),
            **context,
        )
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
    try:
        note = api().invoices.create_egress(body)
    except (ValidationError, Conflict) as error:
        record(
            "invoice.credit_note",
            object_type="invoice",
            object_id=invoice["uuid"],
            outcome=error.code,
        )
        unplaced = apply_api_errors(form, error)
        return form_failed(
            "invoices/credit_note.html",
            "invoices/_credit_note.html",
            "credit-note-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    except GigstackError as error:
        record(
            "invoice.credit_note",
            object_type="invoice",
            object_id=invoice["uuid"],
            outcome=error.code,
        )
        return form_failed(
            "invoices/credit_note.html",
            "invoices/_credit_note.html",
            "credit-note-form",
            error=_(
                "gigstack did not confirm the credit note (%(why)s). Send the form "
                "again: it carries the same key, so at most one is issued.",
                why=error.code,
            ),
            **context,
        )
    record(
        "invoice.credit_note",
        object_type="invoice",
        object_id=invoice["uuid"],
        reason=f"credit note {note['uuid']} for {note.get('total')}",
    )
    return navigate(url_for("invoices.show", uuid=note["uuid"]))
