"""What the sale lists (invoices, payments, receipts) share."""

from __future__ import annotations

from typing import Any

from webapp.formatting import day_bound


def created_between(form: Any) -> dict[str, int]:
    """The list filter's ``date_from``/``date_to`` as gigstack's ``created_gte``/``_lte``
    (whole days in Mexico City; a date with an error is left out)."""
    found: dict[str, int] = {}
    if form.date_from.data and not form.date_from.errors:
        found["created_gte"] = day_bound(form.date_from.data)
    if form.date_to.data and not form.date_to.errors:
        found["created_lte"] = day_bound(form.date_to.data, end=True)
    return found
