"""The client a form names by id, for the forms that sell to one (invoices, payments, receipts)."""

from __future__ import annotations

from typing import Any

from webapp.gigstack.errors import NotFound, ValidationError


def client_or_none(client_api: Any, client_id: str | None) -> dict[str, Any] | None:
    """``GET /clients/{id}``, or None when no id is given or gigstack knows no such client
    (the form then says so on its field); other failures are raised for the page's banner."""
    client_id = (client_id or "").strip()
    if not client_id:
        return None
    try:
        return client_api.clients.get(client_id)
    except (NotFound, ValidationError):
        return None
