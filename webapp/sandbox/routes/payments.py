"""Payments: list, get, request a link, register, update, mark paid, refund, cancel (§5).

The state machine and automations live in :mod:`..payments_logic`; client and item references
come from :mod:`..invoicing` (two-phase: nothing is stored until every check passed).
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint

from webapp.domain.money import compute_totals, round2

from .. import invoicing
from .. import payments_logic as logic
from ..clients_logic import apply_client_update, validate_client_fields
from ..context import Caller, caller
from ..errors import field_error
from ..http import checked_body, created, json_body, paged, single
from ..idempotency import idempotent
from ..paging import client_name_of, parse_list_params
from ..validation import Checker, enum_filter, passthrough

bp = Blueprint("payments", __name__, url_prefix="/v2")

LIST_FILTERS = {
    "status": enum_filter("payment_statuses", "payment status"),
    "client_id": passthrough,
    "currency": lambda raw: raw.strip().upper(),
    "email": lambda raw: raw.strip().casefold(),
    "tax_id": lambda raw: raw.strip().upper(),
}
UPDATE_ITEM_FIELDS = frozenset({"id", "description"})


def _get(who: Caller, payment_id: str) -> dict[str, Any]:
    return who.object("payments", payment_id, "Payment")


def _matches(filters: dict[str, str]):
    def match(payment: dict[str, Any]) -> bool:
        client = payment.get("client") or {}
        if "status" in filters and payment["status"] != filters["status"]:
            return False
        if "client_id" in filters and client.get("id") != filters["client_id"]:
            return False
        if "currency" in filters and payment["currency"] != filters["currency"]:
            return False
        if "email" in filters and str(client.get("email") or "").casefold() != filters["email"]:
            return False
        return not (
            "tax_id" in filters and str(client.get("tax_id") or "").upper() != filters["tax_id"]
        )

    return match


# --------------------------------------------------------------------------- read


@bp.get("/payments")
def list_payments():
    who = caller()
    params = parse_list_params(filters=LIST_FILTERS)
    payments = who.store.all("payments", who.team_id, who.livemode)
    how = {"name_of": client_name_of, "matches": _matches(params.filters)}
    return paged(payments, params, "Payments retrieved successfully", **how)


@bp.get("/payments/<payment_id>")
def get_payment(payment_id: str):
    who = caller()
    return single(_get(who, payment_id), "Payment retrieved successfully")


# --------------------------------------------------------------------------- create


def _common(who: Caller, body: dict[str, Any], check: Checker) -> dict[str, Any]:
    """Fields shared by request and register, validated into ``check`` (nothing stored)."""
    choice = invoicing.resolve_client_ref(who, body.get("client"), check)
    before = len(check.problems)
    items = invoicing.resolve_items(who, body.get("items"), check)
    items_ok = len(check.problems) == before
    currency, exchange_rate = logic.check_currency(check, body)
    automation = check.catalogue(
        body,
        "automation_type",
        "automation_types",
        what="automation type (pue_invoice, ppd_invoice_and_complement, receipt or none)",
    )
    if automation is None and body.get("automation_type") is None:
        automation = "none"
    return {
        "choice": choice,
        "items": items,
        "totals": compute_totals(items) if items_ok and items else None,
        "currency": currency,
        "exchange_rate": exchange_rate,
        "automation_type": automation,
        "send_email": check.boolean(body, "send_email") or False,
        "emails": check.email_list(body, "emails"),
        "metadata": check.object(body, "metadata"),
        "invoice_config": logic.check_invoice_config(check, body, who.team_id, who.store),
        "idempotency_key": body.get("idempotency_key"),
    }


def _ppd_target(
    who: Caller, body: dict[str, Any], check: Checker, fields: dict[str, Any]
) -> str | None:
    """``ppd_invoice_id``: an existing, valid PPD invoice whose balance covers the payment."""
    value = check.string(body, "ppd_invoice_id")
    if not value:
        return None
    if fields["automation_type"] not in (None, "ppd_invoice_and_complement"):
        check.add(
            "ppd_invoice_id",
            "is only used with automation_type ppd_invoice_and_complement",
            "business_rule_violation",
        )
        return None
    invoice = invoicing.find_invoice(who, value, "I")
    if invoice is None:
        check.add("ppd_invoice_id", f"No income invoice with uuid '{value}' in this team")
        return None
    rule = "business_rule_violation"
    if invoice.get("payment_method") != "PPD":
        check.add("ppd_invoice_id", f"invoice {invoice['uuid']} is not a PPD invoice", rule)
    elif invoice["status"] != "valid":
        check.add("ppd_invoice_id", f"invoice {invoice['uuid']} is cancelled", rule)
    elif invoice["currency"] != fields["currency"]:
        check.add(
            "ppd_invoice_id",
            f"invoice {invoice['uuid']} is in {invoice['currency']}; "
            f"the payment must be in the same currency",
            rule,
        )
    elif fields["totals"] is not None and round2(fields["totals"]["total"]) > round2(
        invoice.get("last_balance") or 0
    ):
        check.add(
            "ppd_invoice_id",
            f"the payment total {round2(fields['totals']['total']):.2f} is above the "
            f"invoice's outstanding balance {round2(invoice.get('last_balance') or 0):.2f}",
            rule,
        )
    else:
        return invoice["uuid"]
    return None


def _store_payment(who: Caller, fields: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Commit the references and store the new payment; fires ``payment.created``."""
    client = invoicing.commit_client(who, fields["choice"])
    invoicing.commit_items(who, fields["items"])
    payment = logic.build_payment(
        who.store,
        team_id=who.team_id,
        livemode=who.livemode,
        owner=who.team.get("owner") or "",
        client=client,
        client_ref=invoicing.client_ref(client),
        items=fields["items"],
        totals=fields["totals"],
        currency=fields["currency"],
        exchange_rate=fields["exchange_rate"],
        automation_type=fields["automation_type"],
        emails=fields["emails"],
        metadata=fields["metadata"],
        invoice_config=fields["invoice_config"],
        idempotency_key=fields["idempotency_key"],
        send_email=fields["send_email"],
        **kwargs,
    )
    who.store.add("payments", payment["id"], payment)
    who.emit("payment.created", payment)
    return payment


def _request(body: dict[str, Any]):
    who = caller()
    check = Checker()
    fields = _common(who, body, check)
    methods = logic.check_methods(check, body.get("allowed_payment_methods"), who.team)
    check.raise_if_any()
    payment = _store_payment(
        who,
        fields,
        status="requires_payment_method",
        allowed_payment_methods=methods,
        short_url=True,
    )
    return created(payment, "Payment created successfully")


def _register(body: dict[str, Any]):
    who = caller()
    check = Checker()
    fields = _common(who, body, check)
    form = check.catalogue(
        body, "payment_form", "payment_forms", required=True, what="payment form (c_FormaPago code)"
    )
    ppd_invoice_id = _ppd_target(who, body, check, fields)
    if form is not None and fields["automation_type"] is not None:
        problem = logic.form_problem(form, fields["automation_type"])
        if problem:
            check.add("payment_form", problem, "business_rule_violation")
    check.raise_if_any()
    now = who.store.clock.now()
    payment = _store_payment(
        who,
        fields,
        status="succeeded",
        payment_form=form,
        processor="api",
        succeeded_at=now,
        ppd_invoice_id=ppd_invoice_id,
    )
    who.emit("payment.succeeded", payment)
    logic.run_automation(who, payment)
    return created(payment, "Payment registered successfully")


@bp.post("/payments/request")
def request_payment():
    body = json_body()
    return idempotent("payments.request", body, lambda: _request(body))


@bp.post("/payments/register")
def register_payment():
    body = json_body()
    return idempotent("payments.register", body, lambda: _register(body))


# --------------------------------------------------------------------------- update


def _check_item_patches(check: Checker, value: Any, payment: dict[str, Any]) -> dict[str, str]:
    """``items[]`` of an update: ``{id, description}`` only, ids of this payment's items."""
    known = {item["id"] for item in payment["items"]}
    out: dict[str, str] = {}
    for _, raw, sub in check.each_object(
        value,
        "items",
        list_message="must be a list of {id, description}",
        item_message="must be an object {id, description}",
    ):
        for name in sorted(set(raw) - UPDATE_ITEM_FIELDS):
            sub.add(name, "cannot be changed: only an item's description may be updated")
        item_id = sub.string(raw, "id", required=True)
        if item_id and item_id not in known:
            sub.add("id", f"No item with id '{item_id}' in this payment")
            item_id = None
        description = None
        if "description" in raw:
            description = sub.string(raw, "description", max_length=1000)
            if description is not None and not description:
                sub.add("description", "must not be empty")
                description = None
        if item_id and description:
            out[item_id] = description
    return out


def _check_client_patch(
    check: Checker, value: Any, payment: dict[str, Any], client: dict[str, Any]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        check.add("client", "must be an object with the client fields to change")
        return None
    sub = check.nested("client")
    current = (payment.get("client") or {}).get("id")
    if value.get("id") is not None and value["id"] != current:
        sub.add("id", f"cannot be changed: the payment belongs to client '{current}'")
    patch = {k: v for k, v in value.items() if k not in ("id", "search")}
    return validate_client_fields(sub, patch, partial=True, existing=client)


@bp.put("/payments/<payment_id>")
def update_payment(payment_id: str):
    who = caller()
    payment = _get(who, payment_id)
    body, check = checked_body()
    if all(body.get(name) is None for name in ("items", "automation_type", "client")):
        check.add(
            "items",
            "send at least one of items, automation_type or client",
            "missing_required_field",
        )
        check.raise_if_any()
    descriptions: dict[str, str] = {}
    if body.get("items") is not None:
        descriptions = _check_item_patches(check, body["items"], payment)
    automation = None
    if body.get("automation_type") is not None:
        automation = check.catalogue(
            body,
            "automation_type",
            "automation_types",
            what="automation type (pue_invoice, ppd_invoice_and_complement, receipt or none)",
        )
        existing = payment.get("automation_type") or "none"
        if automation is not None and existing != "none":
            check.add(
                "automation_type",
                f"the payment already has automation_type {existing}; "
                "it can only be set while it is none",
                "business_rule_violation",
            )
            automation = None
        if automation and payment["status"] == "succeeded":
            problem = logic.form_problem(payment.get("payment_form"), automation)
            if problem:
                check.add("automation_type", problem, "business_rule_violation")
    client = logic.current_client(who.store, payment)
    patch = None
    if body.get("client") is not None:
        patch = _check_client_patch(check, body["client"], payment, client)
    check.raise_if_any()

    for item in payment["items"]:
        if item["id"] in descriptions:
            item["description"] = descriptions[item["id"]]
    if patch:
        _apply_client_patch(who, payment, patch)
    if automation and automation != "none":
        payment["automation_type"] = automation
        logic.run_automation(who, payment)
    who.emit("payment.updated", payment)
    return single({}, "Operation completed successfully")


def _apply_client_patch(who: Caller, payment: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge into the master client *without* a new SAT check (§5.5), then re-snapshot."""
    ref = payment.get("client") or {}
    master = who.store.get("clients", ref.get("id") or "", who.team_id, who.livemode)
    target = master if master is not None else payment["_client"]
    kept = {"is_valid": target.get("is_valid"), "efos": target.get("efos")}
    target.setdefault("address", {})
    changed = apply_client_update(target, patch)
    target.update({k: v for k, v in kept.items() if v is not None})
    payment["client"] = invoicing.client_ref(target)
    payment["_client"] = copy.deepcopy(target)
    if master is not None and changed:
        who.emit("customer.updated", master)


# --------------------------------------------------------------------------- actions


@bp.post("/payments/<payment_id>/paid")
def mark_paid(payment_id: str):
    who = caller()
    payment = _get(who, payment_id)
    body, check = checked_body()
    form = check.catalogue(
        body, "payment_form", "payment_forms", required=True, what="payment form (c_FormaPago code)"
    )
    check.raise_if_any()
    logic.ensure_status(payment, logic.PAYABLE_FROM, "marked as paid")
    problem = logic.form_problem(form, payment.get("automation_type"))
    if problem:
        raise field_error("business_rule_violation", "payment_form", problem)
    payment.update(
        status="succeeded",
        payment_form=form,
        payment_processor="api",
        succeeded_at=who.store.clock.now(),
    )
    who.emit("payment.succeeded", payment)
    logic.run_automation(who, payment)
    return single(payment, "Payment marked as paid successfully")


@bp.post("/payments/<payment_id>/refund")
def refund_payment(payment_id: str):
    who = caller()
    payment = _get(who, payment_id)
    body, check = checked_body()
    amount = check.number(body, "amount")
    if amount is not None and amount <= 0:
        check.add("amount", "must be greater than 0")
    reason = check.string(body, "reason", max_length=1000)
    external = check.boolean(body, "external_processor_refund") or False
    check.raise_if_any()
    logic.add_refund(who.store, payment, amount=amount, reason=reason or None, external=external)
    return single(payment, "Payment refunded successfully")


@bp.delete("/payments/<payment_id>")
def cancel_payment(payment_id: str):
    who = caller()
    payment = _get(who, payment_id)
    logic.cancel(who.store, payment)
    return single(payment, "Payment cancelled successfully")
