"""Register money already received, or request a payment (a link the client pays at): the
client picked as you type, items from the shared editor, currency, the automation explained,
and one idempotency key made when the form was opened — a double click or a retry after a
timeout registers one payment."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.gigstack import GigstackError
from webapp.i18n import gettext as _
from webapp.panels import Panel, panel
from webapp.sales.items import item_problems

from . import states
from .forms import PaymentForm, payment_form_choices

TO_BE_DEFINED = "99"


def prefill(form: PaymentForm, kind: str) -> None:
    """A form opened from a client, an invoice or the REP monitor: the client, the
    automation, (register) the PPD invoice it pays."""
    form.client_id.data = (request.args.get("client_id") or "")[:64]
    if request.args.get("automation_type") in states.AUTOMATION_HELP:
        form.automation_type.data = request.args["automation_type"]
    if kind == "register":
        form.ppd_invoice_id.data = (request.args.get("ppd_invoice_id") or "")[:64]


def open_ppd(client_api: Any, form: PaymentForm, kind: str) -> Panel[list[dict[str, Any]]]:
    """(register) The client's valid PPD invoices with something left to pay (what a
    complement pays), as a panel: a failed list says so instead of offering none.
    Upstream call: ``GET /invoices/income``."""
    client_id = (form.client_id.data or "").strip()
    if kind != "register" or not client_id:
        return Panel([])

    def read() -> list[dict[str, Any]]:
        page = client_api.invoices.list(
            "income", client_id=client_id, status="valid", payment_method="PPD", limit=100
        )
        return [
            inv
            for inv in page
            if inv.get("payment_method") == "PPD" and float(inv.get("last_balance") or 0) > 0
        ]

    return panel(read)


def has_stripe(client_api: Any, kind: str) -> bool:
    """(request) Whether the team connected Stripe. Upstream call: ``GET /teams/integrations``."""
    if kind != "request":
        return False
    return bool(((client_api.teams.integrations() or {}).get("stripe") or {}).get("completed"))


def set_choices(form: PaymentForm, kind: str, ppd: list[dict[str, Any]]) -> None:
    """(register) How the money arrived, and the PPD invoices it can pay."""
    if kind != "register":
        return
    form.payment_form.choices = payment_form_choices(with_blank=True)
    form.ppd_invoice_id.choices = [("", _("— none: gigstack stamps a new PPD invoice —"))] + [
        (
            inv["uuid"],
            _(
                "%(folio)s · balance %(balance)s %(currency)s",
                folio=f"{inv.get('series') or ''}-{inv.get('folio_number') or ''}",
                balance=f"{float(inv.get('last_balance') or 0):,.2f}",
                currency=inv.get("currency") or "MXN",
            ),
        )
        for inv in ppd
    ]


def quiet(form: PaymentForm) -> None:
    """While the form is being filled the report speaks, not the fields."""
    for field in (
        getattr(form, name, None) for name in ("payment_form", "ppd_invoice_id", "methods")
    ):
        if field is not None:
            field.errors = []


def problems(
    form: PaymentForm,
    kind: str,
    client: dict | None,
    items: list[dict],
    totals: dict,
    open_ppd: Panel[list[dict]],
    stripe: bool,
) -> list[str]:
    """What keeps the payment from being sent, found before any call; field-level ones are
    also put on their fields."""
    found = []
    if client is None:
        found.append(_("Choose the client."))
    found += item_problems(items)
    if form.currency.data != "MXN" and not form.exchange_rate.data:
        found.append(_("Type the exchange rate of %(currency)s.", currency=form.currency.data))
    automation = form.automation_type.data
    if kind == "register":
        if not form.payment_form.data:
            form.payment_form.errors = [_("Choose how the money arrived.")]
        elif form.payment_form.data == TO_BE_DEFINED and automation != "none":
            form.payment_form.errors = [
                _(
                    "99 (por definir) cannot back an automation: an "
                    "invoice, a complement or a receipt needs the real "
                    "payment form."
                )
            ]
        if open_ppd.failed and automation == "ppd_invoice_and_complement":
            found.append(
                _(
                    "The client's PPD invoices could not be read from gigstack: try again "
                    "before choosing the invoice the complement pays."
                )
            )
        ppd = open_ppd.value or []
        chosen = next((i for i in ppd if i["uuid"] == form.ppd_invoice_id.data), None)
        if form.ppd_invoice_id.data and automation != "ppd_invoice_and_complement":
            form.ppd_invoice_id.errors = [
                _(
                    "A PPD invoice is paid with the automation "
                    "“PPD invoice plus a payment complement”."
                )
            ]
        elif form.ppd_invoice_id.data and chosen is None:
            form.ppd_invoice_id.errors = [
                _("Choose one of the client's PPD invoices with a balance.")
            ]
        elif chosen and totals["total"] > float(chosen.get("last_balance") or 0) + 0.005:
            form.ppd_invoice_id.errors = [
                _(
                    "The payment (%(total)s) is above what is left to pay on it (%(balance)s).",
                    total=f"{totals['total']:,.2f}",
                    balance=f"{float(chosen.get('last_balance') or 0):,.2f}",
                )
            ]
        found += [str(e) for e in [*form.payment_form.errors, *form.ppd_invoice_id.errors]]
    else:
        chosen_methods = form.methods.data or []
        if not chosen_methods:
            form.methods.errors = [_("Choose at least one way to pay.")]
        needing = [m for m in chosen_methods if m in states.STRIPE_METHODS]
        if needing and not stripe:
            form.methods.errors = [
                _(
                    "%(methods)s need a connected Stripe account, and this team has none.",
                    methods=", ".join(str(states.METHOD_LABELS[m]) for m in needing),
                )
            ]
        found += [str(e) for e in form.methods.errors]
    return found


def body(form: PaymentForm, kind: str, client: dict, items: list[dict]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client": {"id": client["id"]},
        "items": items,
        "currency": form.currency.data,
        "automation_type": form.automation_type.data,
        "send_email": bool(form.send_email.data),
        "idempotency_key": form.idempotency_key.data,
    }
    if form.currency.data != "MXN":
        body["exchange_rate"] = float(form.exchange_rate.data)
    if form.addresses():
        body["emails"] = form.addresses()
    if kind == "register":
        body["payment_form"] = form.payment_form.data
        if form.ppd_invoice_id.data:
            body["ppd_invoice_id"] = form.ppd_invoice_id.data
        if form.received_on.data:
            body["metadata"] = {"received_on": form.received_on.data.isoformat()}
    else:
        body["allowed_payment_methods"] = [{"id": m} for m in form.methods.data]
    return body


def method_aliases(error: GigstackError) -> dict[str, str]:
    """``allowed_payment_methods[…]`` lands on the methods' checkboxes."""
    return {"allowed_payment_methods": "methods"} | {
        path: "methods"
        for path in getattr(error, "field_errors", {})
        if path.startswith("allowed_payment_methods")
    }


def audit_reason(payment: dict[str, Any], kind: str) -> str:
    return (
        f"{kind} {payment.get('total')} {payment.get('currency')} · "
        f"{payment.get('automation_type')}"
    )
