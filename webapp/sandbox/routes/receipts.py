"""Receipts: list, get, create, stamp, cancel (§6) and a client's bulk stamp (§2.9).

Statuses are computed on read (a pending receipt past ``validUntil`` reads ``expired``), so
every answer and every list filter goes through :func:`..receipts_logic.view`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from webapp.domain.money import compute_totals

from .. import invoicing
from .. import payments_logic as payments
from .. import receipts_logic as logic
from ..context import Caller, caller
from ..errors import ApiError
from ..http import created, json_body, paged, single
from ..idempotency import idempotent
from ..paging import client_name_of, parse_list_params
from ..validation import Checker, enum_filter, passthrough

bp = Blueprint("receipts", __name__, url_prefix="/v2")

LIST_FILTERS = {
    "status": enum_filter("receipt_statuses", "receipt status"),
    "client_id": passthrough,
}
#: How many pending receipts one stamp-pending-receipts call handles (REFERENCE §2.9).
BULK_LIMIT = 100


def _get(who: Caller, receipt_id: str) -> dict[str, Any]:
    return who.object("receipts", receipt_id, "Receipt")


# --------------------------------------------------------------------------- read


@bp.get("/receipts")
def list_receipts():
    who = caller()
    params = parse_list_params(filters=LIST_FILTERS)
    now = who.store.clock.now()
    status = params.filters.get("status")
    client_id = params.filters.get("client_id")

    def match(receipt: dict[str, Any]) -> bool:
        if status and receipt["status"] != status:
            return False
        return not (client_id and (receipt.get("client") or {}).get("id") != client_id)

    views = [logic.view(r, now) for r in who.store.all("receipts", who.team_id, who.livemode)]
    message = "Receipts retrieved successfully"
    how = {"created_of": lambda r: r["created"], "name_of": client_name_of, "matches": match}
    return paged(views, params, message, **how)


@bp.get("/receipts/<receipt_id>")
def get_receipt(receipt_id: str):
    who = caller()
    receipt = _get(who, receipt_id)
    return single(logic.view(receipt, who.store.clock.now()), "Receipt retrieved successfully")


# --------------------------------------------------------------------------- create


def _create(body: dict[str, Any]):
    who = caller()
    check = Checker()
    choice = invoicing.resolve_client_ref(who, body.get("client"), check, required=False)
    items = invoicing.resolve_items(who, body.get("items"), check)
    currency, exchange_rate = payments.check_currency(check, body)
    periodicity = check.string(body, "periodicity")
    if periodicity is not None and periodicity not in logic.PERIODICITIES:
        check.add(
            "periodicity",
            f"'{periodicity}' is not a valid periodicity (day, week, "
            "two_weeks, month or two_months)",
        )
    form = check.catalogue(
        body, "payment_form", "payment_forms", what="payment form (c_FormaPago code)"
    )
    if form == payments.TO_BE_DEFINED:
        check.add(
            "payment_form",
            "99 (por definir) is not allowed on a receipt: it records a "
            "sale already paid, so send how it was paid",
            "business_rule_violation",
        )
    metadata = check.object(body, "metadata")
    invoice_config = payments.check_invoice_config(check, body, who.team_id, who.store)
    check.raise_if_any()
    client = invoicing.commit_client(who, choice)
    invoicing.commit_items(who, items)
    receipt = logic.build_receipt(
        who.store,
        team_id=who.team_id,
        livemode=who.livemode,
        client=client,
        items=items,
        totals=compute_totals(items),
        currency=currency,
        exchange_rate=exchange_rate,
        periodicity=periodicity or logic.default_periodicity(who.team),
        payment_form=form or logic.DEFAULT_PAYMENT_FORM,
        metadata=metadata,
        invoice_config=invoice_config,
    )
    logic.store_receipt(who.store, receipt)
    return created(logic.view(receipt, who.store.clock.now()), "Receipt created successfully")


@bp.post("/receipts")
def create_receipt():
    body = json_body()
    return idempotent("receipts.create", body, lambda: _create(body))


# --------------------------------------------------------------------------- actions


@bp.post("/receipts/<receipt_id>/stamp")
def stamp_receipt(receipt_id: str):
    who = caller()
    receipt = _get(who, receipt_id)
    now = who.store.clock.now()
    status = logic.effective_status(receipt, now)
    if status not in logic.STAMPABLE_FROM:
        raise ApiError(
            "resource_conflict",
            f"{logic.article(status)} {status} receipt cannot be stamped (only pending ones)",
        )
    client = logic.receiver_of(who.store, receipt)
    problem = logic.receiver_problem(client)
    if problem is not None:
        raise problem
    logic.issue_for(who, receipt, client)
    return single(logic.view(receipt, who.store.clock.now()), "Receipt stamped successfully")


@bp.delete("/receipts/<receipt_id>")
def cancel_receipt(receipt_id: str):
    who = caller()
    receipt = _get(who, receipt_id)
    logic.cancel(who.store, receipt)
    return single(logic.view(receipt, who.store.clock.now()), "Receipt cancelled successfully")


@bp.post("/clients/<client_id>/stamp-pending-receipts")
def stamp_pending_receipts(client_id: str):
    """Each of up to 100 pending receipts, oldest first, becomes its own PUE CFDI (§2.9)."""
    who = caller()
    client = who.object("clients", client_id, "Client")
    json_body()  # no body expected; a malformed one is still 400 invalid_request_body
    gaps = logic.fiscal_gaps(client)
    if gaps:
        raise ApiError(
            "business_rule_violation",
            "The client's receipts cannot be invoiced: "
            + "; ".join(f"the client {text}" for _, text in gaps),
            details=[{"field": name, "message": f"the client {text}"} for name, text in gaps],
        )
    pending = logic.pending_of_client(who.store, who.team_id, who.livemode, client_id)
    results: list[dict[str, Any]] = []
    stamped = failed = 0
    for receipt in pending[:BULK_LIMIT]:
        try:
            invoice = logic.issue_for(who, receipt, client)
        except ApiError as error:
            payments.report_failure(who, error, client, receipt)
            failed += 1
            results.append(
                {
                    "receipt_id": receipt["id"],
                    "status": "failed",
                    "error": {"code": error.code, "message": error.message},
                }
            )
            continue
        stamped += 1
        results.append(
            {"receipt_id": receipt["id"], "status": "stamped", "invoice_uuid": invoice["uuid"]}
        )
    remaining = len(logic.pending_of_client(who.store, who.team_id, who.livemode, client_id))
    return single(
        {"stamped": stamped, "failed": failed, "remaining": remaining, "results": results},
        "Operation completed successfully",
    )
