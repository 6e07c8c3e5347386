"""The payment state machine of REFERENCE §5 (inferred there: kept here, in one place) and what
each state lets an operator do; the buttons shown and the checks made both read it."""

from __future__ import annotations

from typing import Any

from webapp import catalogs
from webapp.i18n import lazy_gettext as _l
from webapp.labels import LABELS, label

OPEN = frozenset({"pending", "requires_payment_method", "processing", "failed"})
MARK_PAID_FROM = OPEN  # §5.6
CANCEL_FROM = OPEN  # §5.8
REFUND_FROM = frozenset({"succeeded"})  # §5.7
STRIPE_METHODS = frozenset({"card", "oxxo", "stripe-spei"})  # need a connected Stripe (§12.4)
PAYMENT_METHODS = ("spei", "card", "oxxo", "stripe-spei")


def actions(payment: dict[str, Any]) -> list[str]:
    """The verbs the payment's state allows, in the order the detail page shows them."""
    status = payment.get("status")
    allowed = []
    if status in MARK_PAID_FROM:
        allowed.append("mark_paid")
    if status in REFUND_FROM and refundable(payment) > 0:
        allowed.append("refund")
    if status in CANCEL_FROM:
        allowed.append("cancel")
    return allowed


def refunded(payment: dict[str, Any]) -> float:
    return round(sum(float(r.get("amount") or 0) for r in payment.get("refunds") or []), 2)


def refundable(payment: dict[str, Any]) -> float:
    """What is left to refund: the total less every refund (§5.7)."""
    return round(float(payment.get("total") or 0) - refunded(payment), 2)


AUTOMATION_HELP = {
    "pue_invoice": _l(
        "When the payment succeeds, gigstack stamps a PUE income invoice with its "
        "payment form (a receipt instead if the client has no RFC)."
    ),
    "ppd_invoice_and_complement": _l(
        "When the payment succeeds, gigstack stamps a PPD invoice "
        "(unless you name an existing one) and a payment "
        "complement for this amount."
    ),
    "receipt": _l(
        "When the payment succeeds, gigstack makes a receipt the client can self-invoice."
    ),
    "none": _l("Only records the payment: no invoice, complement or receipt."),
}
# what each payment method is called: the label table's
METHOD_LABELS = LABELS["payment_method"]


def statuses() -> list[str]:
    return [entry["code"] for entry in catalogs.entries("payment_statuses")]


def status_name(code: str | None) -> str:
    return label("payment_status", code)


def status_kind(code: str | None) -> str:
    """The badge colour of a status: by its group in ``payment_statuses.json``."""
    group = (catalogs.get("payment_statuses", code or "") or {}).get("group")
    return {"collected": "ok", "pending": "info", "failed": "warn"}.get(group or "", "neutral")
