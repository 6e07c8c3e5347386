"""The items editor shared by the forms that sell something (invoices, payments, receipts):
rows added and removed with htmx, a service picked fills its row, free rows use the SAT key
pickers, and each row (:class:`.forms.ItemForm`) becomes an ItemInput whose taxes are the
service's own while untouched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from webapp.catalogs import sat
from webapp.domain.money import compute_item
from webapp.formatting import money
from webapp.i18n import gettext as _
from webapp.sat import rules
from webapp.services.taxes import choices_from_taxes, taxes_from_choices

from .forms import MAX_ITEMS, ItemForm

# what an Item of a document holds that makes it again as an ItemInput (§12.2)
ITEM_INPUT_KEYS = (
    "description",
    "quantity",
    "unit_price",
    "product_key",
    "unit_key",
    "unit_name",
    "sku",
    "taxability",
    "taxes",
    "discount",
)


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def item_payload(item: ItemForm, services: dict[str, dict]) -> dict[str, Any]:
    """The ItemInput of one row (a service fills what the row leaves empty)."""
    service = services.get(item.service.data or "") or {}
    shown = (item.iva.data or "", item.iva_withheld.data or "", item.isr_withheld.data or "")
    taxes = taxes_from_choices(*shown, None, False)
    if service:
        values, _others = choices_from_taxes(service.get("taxes"))
        if shown == (values["iva"], values["iva_withheld"], values["isr_withheld"]):
            taxes = service.get("taxes") or []  # untouched: exactly the service's (IEPS, …)
    out = {
        "description": item.description.data or service.get("description") or "",
        "quantity": _number(item.quantity.data if item.quantity.data is not None else 1),
        "unit_price": _number(
            item.unit_price.data if item.unit_price.data is not None else service.get("unit_price")
        ),
        "product_key": item.product_key.data or service.get("product_key") or "",
        "unit_key": (item.unit_key.data or service.get("unit_key") or "").upper(),
        "taxes": taxes,
    }
    if service.get("id"):
        out["id"] = service["id"]
    return out


def apply_service(item: ItemForm, service: dict[str, Any]) -> None:
    """Fill a row from the service just picked, so what the row shows is what is sent."""
    item.description.data = service.get("description") or ""
    item.unit_price.data = Decimal(str(service.get("unit_price") or 0))
    item.unit_price.raw_data = None
    item.product_key.data = service.get("product_key") or ""
    item.unit_key.data = (service.get("unit_key") or "").upper()
    values, _others = choices_from_taxes(service.get("taxes"))
    item.iva.data, item.iva_withheld.data, item.isr_withheld.data = (
        values["iva"],
        values["iva_withheld"],
        values["isr_withheld"],
    )
    item.applied.data = service["id"]


def apply_services(form: Any, services: dict[str, dict]) -> bool:
    """Rows whose service changed take its values; True when any did (the form is redrawn)."""
    changed = False
    for entry in form.items:
        row = entry.form
        picked = row.service.data or ""
        if picked and picked != (row.applied.data or "") and picked in services:
            apply_service(row, services[picked])
            changed = True
        elif not picked:
            row.applied.data = ""
    return changed


def rows_from_action(form: Any, action: str) -> None:
    """Add a row, or remove the one named by ``remove-<index>``."""
    if action == "add" and len(form.items) < MAX_ITEMS:
        form.items.append_entry()
    elif action.startswith("remove-") and len(form.items) > 1:
        index = action.removeprefix("remove-")
        kept = [e.data for i, e in enumerate(form.items) if str(i) != index]
        while len(form.items):
            form.items.pop_entry()
        for data in kept:
            form.items.append_entry(data)


def service_choices(services: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [("", _("— free item —"))] + [
        (
            s["id"],
            f"{s.get('description')} · {money(s.get('unit_price'), s.get('currency') or 'MXN')}",
        )
        for s in services
    ]


def set_service_choices(form: Any, services: list[dict[str, Any]]) -> None:
    choices = service_choices(services)
    for entry in form.items:
        entry.form.service.choices = choices


def problem_text(problem: rules.Problem) -> str:
    """A PAC rule's refusal (:mod:`webapp.sat.rules`) in the staff member's language."""
    said = _(problem.message, **problem.values)
    if problem.item is None:
        return said
    return _("Item %(n)s: %(problem)s", n=problem.item + 1, problem=said)


def item_problems(items: list[dict[str, Any]]) -> list[str]:
    """The §4 item rules a form can check: quantity, price, description, and what a PAC
    refuses (SAT keys, taxes: :func:`webapp.sat.rules.item_problems`, as the API does)."""
    found = []
    for index, item in enumerate(items, start=1):
        if item["quantity"] <= 0:
            found.append(_("Item %(n)s: the quantity must be more than 0.", n=index))
        if item["unit_price"] < 0:
            found.append(_("Item %(n)s: the unit price cannot be negative.", n=index))
        if not item["description"]:
            found.append(_("Item %(n)s: no description.", n=index))
    return found + [problem_text(problem) for problem in rules.item_problems(items)]


def item_keys(items: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """Each row's SAT product and unit entries (the pickers show their names)."""
    return [(sat.product_key(i["product_key"]), sat.unit_key(i["unit_key"])) for i in items]


def item_input(item: dict[str, Any]) -> dict[str, Any]:
    """A document's Item as the ItemInput that issues it again (its own id left out: an
    ItemInput's ``id`` names a service)."""
    return {key: item[key] for key in ITEM_INPUT_KEYS if item.get(key) is not None}


def editor_row(item: dict[str, Any]) -> dict[str, Any]:
    """A document's Item as one row of the items editor (a copy to stamp again): its service
    when it came from one, the price before any tax it included, the taxes the editor shows."""
    values, _others = choices_from_taxes(item.get("taxes"))
    price = compute_item(item).unit_value if values["inclusive"] else item.get("unit_price")
    service = item.get("service") or ""
    return {
        "service": service,
        "applied": service,
        "description": item.get("description") or "",
        "quantity": Decimal(str(item.get("quantity") or 1)),
        "unit_price": Decimal(f"{Decimal(str(price or 0)):.6f}".rstrip("0").rstrip(".")),
        "product_key": item.get("product_key") or "",
        "unit_key": (item.get("unit_key") or "").upper(),
        "iva": values["iva"],
        "iva_withheld": values["iva_withheld"],
        "isr_withheld": values["isr_withheld"],
    }
