"""Receipts (non-fiscal sales receipts): REFERENCE §6."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

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

    transform = staticmethod(normalize_receipt)

    def _list_query(
        self, status: str | None = None, client_id: str | None = None, **params: Unpack[ListParams]
    ) -> tuple[str, dict[str, Any]]:
        """Filtered by ``status`` / ``client_id`` (``created_*`` filter ``created``)."""
        return self.path, list_query(params, status=status, client_id=client_id)

    def create(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Create a pending receipt; retried only when the body has an ``idempotency_key``."""
        return self._call("POST", "/receipts", team=team, json=dict(data), transform=self.transform)

    def stamp(self, id: str, *, team: str | None = None) -> Item:
        """Turn a pending receipt into a PUE income CFDI; the receipt comes back ``completed``."""
        return self._call(
            "POST", f"/receipts/{seg(id)}/stamp", team=team, json={}, transform=self.transform
        )

    def cancel(self, id: str, *, team: str | None = None) -> Item:
        """Cancel a pending/expired receipt (DELETE); returns it ``cancelled``."""
        return self._call("DELETE", f"/receipts/{seg(id)}", team=team, transform=self.transform)
