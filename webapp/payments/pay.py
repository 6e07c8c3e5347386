"""A payment on an existing PPD invoice: pick the invoice (or arrive with it, from its page or
the REP monitor), type the amount — filled with its balance, never above it —, how the money
arrived and the day; gigstack registers the payment and stamps its complement (REFERENCE
§5.4, ``ppd_invoice_id`` with ``ppd_invoice_and_complement``). The items come from the
invoice: nobody types them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, request

from webapp.audit import Detail
from webapp.audit.details import PAYMENT_PAYS
from webapp.domain.money import compute_totals, to_number
from webapp.formatting import money
from webapp.gigstack import new_idempotency_key
from webapp.gigstack.errors import NotFound
from webapp.i18n import gettext as _
from webapp.invoices.lookup import document_name, folio_of
from webapp.panels import Panel, panel
from webapp.parallel import gather
from webapp.sales.items import item_input

from .forms import PayInvoiceForm

AUTOMATION = "ppd_invoice_and_complement"
TO_BE_DEFINED = "99"
# SAT's own concept of a payment (the one item of a P CFDI): a share of an invoice paid
PAYMENT_KEYS = {"product_key": "84111506", "unit_key": "ACT", "unit_name": "Actividad"}


def prefill(form: PayInvoiceForm) -> None:
    """Opened from a link: the invoice and its client; a new idempotency key."""
    form.ppd_invoice_id.data = (request.args.get("ppd_invoice_id") or "")[:64]
    form.client_id.data = (request.args.get("client_id") or "")[:64]
    form.idempotency_key.data = new_idempotency_key()


def balance_of(invoice: dict[str, Any]) -> float:
    return float(invoice.get("last_balance") or 0)


def open_invoices(client_api: Any, client_id: str) -> Panel[list[dict[str, Any]]]:
    """The client's valid PPD invoices with something left to pay, as a panel: a list that
    failed says so instead of offering none. Upstream call:
    ``GET /invoices/income?client_id=&status=valid&payment_method=PPD``."""
    if not client_id:
        return Panel([])

    def read() -> list[dict[str, Any]]:
        page = client_api.invoices.list(
            "income", client_id=client_id, status="valid", payment_method="PPD", limit=100
        )
        return [i for i in page if i.get("payment_method") == "PPD" and balance_of(i) > 0]

    return panel(read)


def read(
    client_api: Any, form: PayInvoiceForm
) -> tuple[dict[str, Any], Panel[list[dict[str, Any]]]]:
    """The invoice chosen (the 404 page when gigstack knows none) and its client's open PPD
    invoices. Upstream calls, at once: ``GET /invoices/income/{uuid}`` and the list (when the
    client is known; else the list after the invoice)."""
    uuid, client_id = form.ppd_invoice_id.data or "", form.client_id.data or ""
    if not uuid:
        abort(404)

    def invoice() -> dict[str, Any]:
        try:
            return client_api.invoices.get(uuid, "income")
        except NotFound:
            abort(404)

    found, listed = gather(invoice, lambda: open_invoices(client_api, client_id))
    owner = (found.get("client") or {}).get("id") or ""
    if owner != client_id:
        listed = open_invoices(client_api, owner)
    form.client_id.data = owner
    return found, listed


def set_choices(form: PayInvoiceForm, invoice: dict[str, Any], others: Panel[list[dict]]) -> None:
    """The client's open invoices to choose from (the chosen one always there, alone when
    the list failed); the amount filled with the chosen one's balance when it was opened or
    another invoice was chosen."""
    listed = others.value or []
    shown = listed if any(i["uuid"] == invoice["uuid"] for i in listed) else [invoice, *listed]
    form.ppd_invoice_id.choices = [
        (
            i["uuid"],
            _(
                "%(document)s · balance %(balance)s %(currency)s",
                document=document_name(i),
                balance=f"{balance_of(i):,.2f}",
                currency=i.get("currency") or "MXN",
            ),
        )
        for i in shown
    ]
    form.ppd_invoice_id.data = invoice["uuid"]
    if form.shown_for.data != invoice["uuid"]:
        form.amount.data = Decimal(str(balance_of(invoice))).quantize(Decimal("0.01"))
        form.amount.raw_data = None
        form.shown_for.data = invoice["uuid"]
    if (invoice.get("currency") or "MXN") == "MXN":
        form.exchange_rate.data = None


def unpayable(invoice: dict[str, Any]) -> str | None:
    """Why this invoice takes no payment (cancelled, not PPD, nothing left), or None."""
    if invoice.get("status") != "valid":
        return _("%(document)s is cancelled: it takes no payment.", document=document_name(invoice))
    if invoice.get("payment_method") != "PPD":
        return _("%(document)s is not a PPD invoice.", document=document_name(invoice))
    if balance_of(invoice) <= 0:
        return _("Nothing is left to pay on %(document)s.", document=document_name(invoice))
    return None


def problems(form: PayInvoiceForm, invoice: dict[str, Any]) -> list[str]:
    """What keeps the payment from being sent, each on its field (the invoice's own refusal
    is :func:`unpayable`); found before any call."""
    if unpayable(invoice):
        return [unpayable(invoice)]
    balance = balance_of(invoice)
    amount = form.amount.data
    if amount is None:
        form.amount.errors = [_("Type the amount received.")]
    elif amount <= 0:
        form.amount.errors = [_("The amount must be more than 0.")]
    elif float(amount) > balance + 0.005:
        form.amount.errors = [
            _(
                "At most %(balance)s is left to pay on %(document)s.",
                balance=f"{balance:,.2f}",
                document=document_name(invoice),
            )
        ]
    if not form.payment_form.data:
        form.payment_form.errors = [_("Choose how the money arrived.")]
    elif form.payment_form.data == TO_BE_DEFINED:
        form.payment_form.errors = [
            _("99 (por definir) is not how money arrives: a complement needs the real form.")
        ]
    if (invoice.get("currency") or "MXN") != "MXN" and not form.exchange_rate.data:
        form.exchange_rate.errors = [
            _("Type the exchange rate of %(currency)s.", currency=invoice.get("currency"))
        ]
    return [str(e) for f in (form.amount, form.payment_form, form.exchange_rate) for e in f.errors]


def items_paying(invoice: dict[str, Any], amount: float) -> list[dict[str, Any]]:
    """The payment's items, from the invoice: its own items when they add up to the amount
    (the whole invoice paid at once), else one line naming the share of it paid (the
    complement carries that share of its taxes)."""
    own = [item_input(item) for item in invoice.get("items") or []]
    if own and compute_totals(own)["total"] == to_number(amount):
        return own
    return [
        {
            # data sent to gigstack and printed for the client: in Spanish whatever the UI's;
            # nothing that changes once it is paid (a retry sends the very same body)
            "description": f"Pago de la factura {folio_of(invoice)}",
            "quantity": 1,
            "unit_price": to_number(amount),
            "taxes": [],
            "taxability": "01",
            **PAYMENT_KEYS,
        }
    ]


def body(form: PayInvoiceForm, invoice: dict[str, Any]) -> dict[str, Any]:
    """``POST /payments/register``: the invoice's client and currency, items from the
    invoice, the complement automation naming it, the form's idempotency key."""
    currency = invoice.get("currency") or "MXN"
    out: dict[str, Any] = {
        "client": {"id": (invoice.get("client") or {}).get("id")},
        "items": items_paying(invoice, float(form.amount.data)),
        "payment_form": form.payment_form.data,
        "currency": currency,
        "automation_type": AUTOMATION,
        "ppd_invoice_id": invoice["uuid"],
        "send_email": bool(form.send_email.data),
        "idempotency_key": form.idempotency_key.data,
    }
    if currency != "MXN":
        out["exchange_rate"] = float(form.exchange_rate.data)
    if form.addresses():
        out["emails"] = form.addresses()
    if form.received_on.data:
        out["metadata"] = {"received_on": form.received_on.data.isoformat()}
    return out


def audit_detail(payment: dict[str, Any], invoice: dict[str, Any]) -> Detail:
    return Detail(
        PAYMENT_PAYS,
        folio=folio_of(invoice),
        uuid=invoice["uuid"],
        amount=money(payment.get("total"), payment.get("currency") or "MXN"),
    )


def dated_otherwise(form: PayInvoiceForm, today: date) -> bool:
    """A day typed that is not today: the complement will still say today."""
    return bool(form.received_on.data and form.received_on.data != today)
