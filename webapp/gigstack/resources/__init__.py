"""Resource groups hung off a client (or a team-bound view of it)."""

from __future__ import annotations

from .base import ListParams, Resource, list_query
from .clients import CSF_UPLOAD_PATH, Clients
from .invoices import Invoices, normalize_invoice
from .payments import Payments
from .receipts import Receipts, normalize_receipt
from .services import Services
from .teams import Teams
from .users import Users
from .webhooks import Webhooks

RESOURCES: dict[str, type[Resource]] = {
    "clients": Clients,
    "services": Services,
    "invoices": Invoices,
    "payments": Payments,
    "receipts": Receipts,
    "teams": Teams,
    "users": Users,
    "webhooks": Webhooks,
}


__all__ = [
    "CSF_UPLOAD_PATH",
    "Clients",
    "Invoices",
    "ListParams",
    "Payments",
    "RESOURCES",
    "Receipts",
    "Resource",
    "Services",
    "Teams",
    "Users",
    "Webhooks",
    "list_query",
    "normalize_invoice",
    "normalize_receipt",
]
