"""A receipt from the sale form: the client optional (público en general), what blocks it,
and what is sent."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.i18n import gettext as _
from webapp.sales.context import Draft
from webapp.sales.items import item_problems

from .forms import ReceiptForm


def prefill(form: ReceiptForm) -> None:
    """A form opened from a client: that client."""
    form.client_id.data = (request.args.get("client_id") or "")[:64]


def problems(draft: Draft) -> list[str]:
    """What keeps the receipt from being sent (the items once posted, a client id the team
    does not know, a foreign currency without its rate); the unknown client also on its
    field."""
    form = draft.form
    blocking = item_problems(draft.items) if request.method == "POST" else []
    if draft.unknown_client((form.client_id.data or "").strip()):
        blocking.append(_("No client with this id in the team."))
    if form.currency.data != "MXN" and not form.exchange_rate.data:
        blocking.append(_("Type the exchange rate of %(currency)s.", currency=form.currency.data))
    return blocking


def body(form: ReceiptForm, client: dict[str, Any] | None, items: list[dict]) -> dict[str, Any]:
    """The receipt, with the form's idempotency key (no client: público en general)."""
    body: dict[str, Any] = {
        "items": items,
        "currency": form.currency.data,
        "payment_form": form.payment_form.data,
        "idempotency_key": form.idempotency_key.data,
    }
    if client:
        body["client"] = {"id": client["id"]}
    if form.currency.data != "MXN":
        body["exchange_rate"] = float(form.exchange_rate.data)
    if form.periodicity.data:
        body["periodicity"] = form.periodicity.data
    return body
