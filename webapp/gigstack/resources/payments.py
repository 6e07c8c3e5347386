"""Payments (money collected, not invoices): REFERENCE §5."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from .base import Item, ListParams, Resource, compact, list_query, seg


class Payments(Resource):
    """``/payments``: list, get, request a link, register, update, mark paid, refund, cancel."""

    path = "/payments"

    def _list_query(
        self,
        status: str | None = None,
        client_id: str | None = None,
        currency: str | None = None,
        email: str | None = None,
        tax_id: str | None = None,
        **params: Unpack[ListParams],
    ) -> tuple[str, dict[str, Any]]:
        """Filtered by status, client, currency, client e-mail or client RFC."""
        filters = {"status": status, "client_id": client_id, "currency": currency}
        query = list_query(params, **filters, email=email, tax_id=tax_id)
        return self.path, query

    def request(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Create a payment link (``short_url``); retried only with an ``idempotency_key``."""
        return self._call("POST", "/payments/request", team=team, json=dict(data))

    def register(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Record money already received (runs the automation); idempotency as above."""
        return self._call("POST", "/payments/register", team=team, json=dict(data))

    def update(self, id: str, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Patch items' descriptions, the automation or the client; answers ``{}``."""
        return self._call("PUT", f"/payments/{seg(id)}", team=team, json=dict(data))

    def mark_paid(self, id: str, payment_form: str, *, team: str | None = None) -> Item:
        """Mark a pending payment ``succeeded`` with how the money arrived (``payment_form``)."""
        return self._call(
            "POST", f"/payments/{seg(id)}/paid", team=team, json={"payment_form": payment_form}
        )

    def refund(
        self,
        id: str,
        amount: float | None = None,
        reason: str | None = None,
        external_processor_refund: bool | None = None,
        *,
        team: str | None = None,
    ) -> Item:
        """Refund part (``amount``) or, with an empty body, all of a succeeded payment."""
        body = compact(
            amount=amount, reason=reason, external_processor_refund=external_processor_refund
        )
        return self._call("POST", f"/payments/{seg(id)}/refund", team=team, json=body)

    def cancel(self, id: str, *, team: str | None = None) -> Item:
        """Cancel a payment not yet succeeded (DELETE); returns it ``cancelled``."""
        return self._call("DELETE", f"/payments/{seg(id)}", team=team)
