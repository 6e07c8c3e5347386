"""Register money already received, or request a payment (a link the client pays at): the
client picked as you type, items from the shared editor, currency, the automation explained,
and one idempotency key made when the form was opened — a double click or a retry after a
timeout registers one payment."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.audit import Detail, enum
from webapp.audit.details import PAYMENT_REGISTERED
from webapp.formatting import money
from webapp.gigstack import GigstackError
from webapp.i18n import gettext as _
from webapp.panels import Panel
from webapp.sales.items import item_problems

from . import pay, states
from .forms import PaymentForm, payment_form_choices

TO_BE_DEFINED = "99"


def prefill(form: PaymentForm, kind: str) -> None:
    """A form opened from a client: the client, the automation."""
    form.client_id.data = (request.args.get("client_id") or "")[:64]
    if request.args.get("automation_type") in states.AUTOMATION_HELP:
        form.automation_type.data = request.args["automation_type"]


def open_ppd(client_api: Any, form: PaymentForm, kind: str) -> Panel[list[dict[str, Any]]]:
    """(register) The client's PPD invoices with something left to pay, as a panel: the form
    links each to the payment on it (:mod:`.pay`). Upstream call: ``GET /invoices/income``."""
    if kind != "register":
        return Panel([])
    return pay.open_invoices(client_api, (form.client_id.data or "").strip())


def has_stripe(client_api: Any, kind: str) -> bool:
    """(request) Whether the team connected Stripe. Upstream call: ``GET /teams/integrations``."""
    if kind != "request":
        return False
    return bool(((client_api.teams.integrations() or {}).get("stripe") or {}).get("completed"))


def set_choices(form: PaymentForm, kind: str) -> None:
    """(register) How the money arrived."""
    if kind == "register":
        form.payment_form.choices = payment_form_choices(with_blank=True)


def quiet(form: PaymentForm) -> None:
    """While the form is being filled the report speaks, not the fields."""
    for field in (getattr(form, name, None) for name in ("payment_form", "methods")):
        if field is not None:
            field.errors = []


def problems(
    form: PaymentForm, kind: str, client: dict | None, items: list[dict], stripe: bool
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
        found += [str(e) for e in form.payment_form.errors]
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


def audit_detail(payment: dict[str, Any], kind: str) -> Detail:
    return Detail(
        PAYMENT_REGISTERED,
        kind=enum("payment_kind", kind),
        amount=money(payment.get("total"), payment.get("currency") or "MXN"),
        automation=enum("automation_type", payment.get("automation_type")),
    )
