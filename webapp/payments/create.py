"""Register money already received, or request a payment (a link the client pays at): the
client picked as you type, items from the shared editor, currency, the automation explained,
and one idempotency key made when the form was opened — a double click or a retry after a
timeout registers one payment."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from webapp.api import api
from webapp.audit import record
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.clients.lookup import client_or_none
from webapp.domain.money import compute_totals
from webapp.gigstack import GigstackError, new_idempotency_key
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.items import (
    apply_services,
    item_keys,
    item_payload,
    item_problems,
    rows_from_action,
    set_service_choices,
)
from webapp.pages import (
    apply_api_errors,
    form_failed,
    htmx_target,
    navigate,
    render_page,
    swap_whole,
)
from webapp.parallel import gather

from . import states
from .forms import PaymentForm, RegisterForm, RequestForm, payment_form_choices
from .routes import bp

TO_BE_DEFINED = "99"


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Register a payment. Upstream calls, at once: up to 100 services, the chosen client and
    its PPD invoices with a balance; on save ``POST /payments/register`` with the key."""
    return _create("register")


@bp.route("/request", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def request_link():
    """Request a payment (a link). Upstream calls, at once: up to 100 services, the chosen
    client and the team's integrations (Stripe); on save ``POST /payments/request``."""
    return _create("request")


def _open_ppd(client_api: Any, client_id: str) -> list[dict[str, Any]]:
    """The client's valid PPD invoices with something left to pay (what a complement pays)."""
    page = client_api.invoices.list(
        "income", client_id=client_id, status="valid", payment_method="PPD", limit=100
    )
    return [
        inv
        for inv in page
        if inv.get("payment_method") == "PPD" and float(inv.get("last_balance") or 0) > 0
    ]


def problems(
    form: PaymentForm,
    kind: str,
    client: dict | None,
    items: list[dict],
    totals: dict,
    open_ppd: list[dict],
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
        chosen = next((i for i in open_ppd if i["uuid"] == form.ppd_invoice_id.data), None)
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


def _body(form: PaymentForm, kind: str, client: dict, items: list[dict]) -> dict[str, Any]:
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


def _create(kind: str):
    client_api = api()
    form: PaymentForm = RegisterForm() if kind == "register" else RequestForm()
    if not form.is_submitted():  # links from a client, an invoice or the REP monitor
        form.client_id.data = (request.args.get("client_id") or "")[:64]
        if request.args.get("automation_type") in states.AUTOMATION_HELP:
            form.automation_type.data = request.args["automation_type"]
        if kind == "register":
            form.ppd_invoice_id.data = (request.args.get("ppd_invoice_id") or "")[:64]
    if not form.idempotency_key.data:
        form.idempotency_key.data = new_idempotency_key()
    action = request.form.get("action", "")
    rows_from_action(form, action)
    client_id = (form.client_id.data or "").strip()

    def open_ppd():
        if kind != "register" or not client_id:
            return []
        try:
            return _open_ppd(client_api, client_id)
        except GigstackError:
            return []

    def stripe():
        if kind != "request":
            return False
        return bool(((client_api.teams.integrations() or {}).get("stripe") or {}).get("completed"))

    services, client, ppd, has_stripe = gather(
        lambda: list(client_api.services.list(limit=100)),
        lambda: client_or_none(client_api, client_id),
        open_ppd,
        stripe,
    )
    set_service_choices(form, services)
    redrawn = apply_services(form, {s["id"]: s for s in services})
    if kind == "register":
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
    items = [item_payload(entry.form, {s["id"]: s for s in services}) for entry in form.items]
    totals = compute_totals(items)
    valid = form.validate() if action == "save" else True  # before problems: it resets errors
    blocking = (
        problems(form, kind, client, items, totals, ppd, has_stripe)
        if request.method == "POST"
        else []
    )
    if client_id and client is None:
        form.client_id.errors = [_("No client with this id in the team.")]
    if action != "save":  # while the form is being filled the report speaks, not the fields
        for field in (
            getattr(form, name, None) for name in ("payment_form", "ppd_invoice_id", "methods")
        ):
            if field is not None:
                field.errors = []
    page = f"payments/{'new' if kind == 'register' else 'request'}.html"
    context = {
        "form": form,
        "kind": kind,
        "client": client,
        "totals": totals,
        "blocking": blocking,
        "item_keys": item_keys(items),
        "states": states,
        "has_stripe": has_stripe,
        "form_action": url_for("payments.new" if kind == "register" else "payments.request_link"),
        "client_search": request.values.get("client_id_search", "")[:200],
    }
    if request.method == "GET" or action != "save":
        body = render_page(page, "payments/_form.html", **context)
        return body, 200, (swap_whole("payment-form") if redrawn and htmx_target() else {})
    if not valid or blocking:
        return form_failed(
            page,
            "payments/_form.html",
            "payment-form",
            error=_("Nothing was sent: fix what is listed."),
            **context,
        )
    send = client_api.payments.register if kind == "register" else client_api.payments.request
    try:
        payment = send(_body(form, kind, client, items))
    except (ValidationError, Conflict) as error:
        record("payment.create", object_type="payment", outcome=error.code)
        unplaced = apply_api_errors(
            form,
            error,
            {"allowed_payment_methods": "methods"}
            | {
                path: "methods"
                for path in getattr(error, "field_errors", {})
                if path.startswith("allowed_payment_methods")
            },
        )
        return form_failed(
            page,
            "payments/_form.html",
            "payment-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    except GigstackError as error:
        record("payment.create", object_type="payment", outcome=error.code)
        return form_failed(
            page,
            "payments/_form.html",
            "payment-form",
            error=_(
                "gigstack did not confirm the payment (%(why)s). Send the form again: it carries "
                "the same key, so at most one payment is made.",
                why=error.code,
            ),
            **context,
        )
    record(
        "payment.create",
        object_type="payment",
        object_id=payment["id"],
        reason=f"{kind} {payment.get('total')} {payment.get('currency')} · "
        f"{payment.get('automation_type')}",
    )
    return navigate(url_for("payments.show", payment_id=payment["id"]))
