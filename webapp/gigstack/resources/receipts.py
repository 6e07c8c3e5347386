"""Receipts (non-fiscal sales receipts): REFERENCE §6."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Unpack

from ..pagination import DEFAULT_MAX_PAGES, Page
from .base import Item, ListParams, Resource, list_query, seg


def normalize_receipt(receipt: Any) -> Any:
    """Expose both ``created`` and ``created_at`` (read ``created ?? created_at``, §13 #12)."""
    if isinstance(receipt, dict):
        created = receipt.get("created")
        if created is None:
            created = receipt.get("created_at")
        receipt["created"] = created
        receipt["created_at"] = created
    return receipt


class Receipts(Resource):
    """``/receipts``: list, iter, get, create, stamp, cancel (no update, no hard delete)."""

    path = "/receipts"

    def list(
        self,
        status: str | None = None,
        client_id: str | None = None,
        *,
        team: str | None = None,
        **params: Unpack[ListParams],
    ) -> Page:
        """One page, filtered by ``status`` / ``client_id`` (``created_*`` filter ``created``)."""
        query = list_query(params, status=status, client_id=client_id)
        return self._page(self.path, query, team, normalize_receipt)

    def iter(
        self,
        status: str | None = None,
        client_id: str | None = None,
        *,
        team: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        **params: Unpack[ListParams],
    ) -> Iterator[Item]:
        """Every receipt across pages."""
        query = list_query(params, status=status, client_id=client_id)
        return self._iter(self.path, query, team, max_pages, normalize_receipt)

    def get(self, id: str, *, team: str | None = None) -> Item:
        """One receipt by id."""
        return self._call("GET", f"/receipts/{seg(id)}", team=team, transform=normalize_receipt)

    def create(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Create a pending receipt; retried only when the body has an ``idempotency_key``."""
        return self._call(
            "POST", "/receipts", team=team, json=dict(data), transform=normalize_receipt
        )

    def stamp(self, id: str, *, team: str | None = None) -> Item:
        """Turn a pending receipt into a PUE income CFDI; the receipt comes back ``completed``."""
        return self._call(
            "POST", f"/receipts/{seg(id)}/stamp", team=team, json={}, transform=normalize_receipt
        )

    def cancel(self, id: str, *, team: str | None = None) -> Item:
        """Cancel a pending/expired receipt (DELETE); returns it ``cancelled``."""
        return self._call("DELETE", f"/receipts/{seg(id)}", team=team, transform=normalize_receipt)
