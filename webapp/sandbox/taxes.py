"""Tax objects (REFERENCE §12.2): validation and normalisation shared by services and items."""

from __future__ import annotations

from typing import Any

from .validation import Checker

TAX_TYPES = ("IVA", "ISR", "IEPS")
FACTORS = ("Tasa", "Cuota", "Exento")


def check_taxes(check: Checker, value: Any, field: str) -> list[dict[str, Any]]:
    """Validate a Tax[] and return it normalised (upper-case type, defaults filled)."""
    if value is None:
        return []
    out = []
    for _, raw, sub in check.each_object(
        value, field, list_message="must be a list of taxes", item_message="must be a tax object"
    ):
        kind = raw.get("type")
        kind = kind.upper() if isinstance(kind, str) else kind
        if kind is None:
            sub.missing("type")
        elif kind not in TAX_TYPES:
            sub.add("type", f"'{raw.get('type')}' is not a tax type (IVA, ISR or IEPS)")
        rate = sub.number(raw, "rate", required=True, minimum=0)
        factor = raw.get("factor") or "Tasa"
        if factor not in FACTORS:
            sub.add("factor", f"'{factor}' is not a factor (Tasa, Cuota or Exento)")
        withholding = sub.boolean(raw, "withholding") or False
        inclusive = sub.boolean(raw, "inclusive") or False
        if kind == "ISR" and not withholding:
            sub.add("withholding", "ISR is only allowed as a withholding (withholding: true)")
        if factor == "Exento" and (withholding or (rate or 0) != 0):
            sub.add("factor", "Exento is only allowed on transferred taxes with rate 0")
        if factor == "Cuota" and kind != "IEPS":
            sub.add("factor", "Cuota is only allowed for IEPS")
        if kind == "IVA" and factor == "Tasa" and rate is not None and rate > 1:
            sub.add("rate", "must be a fraction (0.16 = 16 %)")
        tax: dict[str, Any] = {
            "type": kind,
            "rate": rate,
            "factor": factor,
            "inclusive": inclusive,
            "withholding": withholding,
        }
        if raw.get("base") is not None:
            tax["base"] = str(raw["base"])
        out.append(tax)
    return out
