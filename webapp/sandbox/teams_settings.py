"""``PUT /teams/{id}/settings``: the TeamSettingsInput contract and its merge rules.

REFERENCE §7.14, §12.6 and §13 #35: omitted = unchanged; ``null`` clears (a group set to
``null`` resets its leaves); ``{}`` leaves a group unchanged; arrays replace the whole array;
``""`` clears a string; an unknown field → 400 ``invalid_field_value`` naming it.

"Clear" means back to a new team's value (``builders.default_settings``): the field's default
when a new team has one (``use`` → ``G03``, ``taxes`` → the 16 % IVA, flags → their default),
otherwise the field is dropped. Settings are stored in their output form, so ``periodicity``
is kept as ``{label, value}``.

The update is computed on a copy; nothing is stored unless every field passes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp import catalogs

from .builders import default_settings
from .validation import CURRENCY_RE, EMAIL_RE, PRODUCT_KEY_RE, Checker

# Labels of the output form (REFERENCE §12.6, inferred).
PERIODICITY_LABELS = {
    "day": "Día",
    "week": "Semana",
    "two_weeks": "Quincena",
    "month": "Mes",
    "two_months": "Bimestre",
}
HANDLERS = ("credit_note", "cancel_resources")


class _Invalid:
    """Marker: the value was rejected (a problem was recorded)."""


INVALID = _Invalid()


@dataclass
class Context:
    """What validators need beyond the value: the team's series names (folded → name)."""

    series: dict[str, str]
    check: Checker


Validate = Callable[[Any, str, Context], Any]


@dataclass
class Leaf:
    """A single setting: ``validate(value, path, ctx)`` returns the cleaned value or INVALID."""

    validate: Validate
    text: bool = False  # "" clears it


@dataclass
class Group:
    """A settings object merged key by key."""

    fields: dict[str, Leaf | Group]
    pattern: re.Pattern[str] | None = None  # extra keys allowed by name (e-mail texts)
    pattern_leaf: Leaf | None = None

    def child(self, key: str) -> Leaf | Group | None:
        if key in self.fields:
            return self.fields[key]
        if self.pattern is not None and self.pattern.match(key):
            return self.pattern_leaf
        return None


# ------------------------------------------------------------------------------ validators
def _bool(value: Any, path: str, ctx: Context) -> Any:
    if not isinstance(value, bool):
        ctx.check.add(path, "must be true or false")
        return INVALID
    return value


def _string_check(
    pattern: re.Pattern[str] | None = None,
    hint: str = "",
    catalogue: str = "",
    strip: bool = False,
    upper: bool = False,
) -> Validate:
    """A text value, optionally stripped / upper-cased, matching ``pattern`` or a catalogue."""

    def validate(value: Any, path: str, ctx: Context) -> Any:
        if not isinstance(value, str):
            ctx.check.add(path, "must be text")
            return INVALID
        if strip:
            value = value.strip()
        if upper:
            value = value.upper()
        if pattern is not None and not pattern.match(value):
            ctx.check.add(path, f"'{value}' is not {hint}")
            return INVALID
        if catalogue:
            code = catalogs.canonical(catalogue, value)
            if code is None:
                ctx.check.add(path, f"'{value}' is not {hint}")
                return INVALID
            return code
        return value

    return validate


def _text(
    pattern: re.Pattern[str] | None = None, hint: str = "", catalogue: str = "", strip: bool = False
) -> Leaf:
    return Leaf(_string_check(pattern, hint, catalogue, strip=strip), text=True)


def _int(minimum: int, maximum: int | None = None) -> Leaf:
    def validate(value: Any, path: str, ctx: Context) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.check.add(path, "must be a whole number")
            return INVALID
        if value < minimum:
            ctx.check.add(path, f"must be >= {minimum}")
            return INVALID
        if maximum is not None and value > maximum:
            ctx.check.add(path, f"must be <= {maximum}")
            return INVALID
        return value

    return Leaf(validate)


def _enum(values: tuple[Any, ...], what: str) -> Leaf:
    shown = ", ".join(str(v) for v in values)

    def validate(value: Any, path: str, ctx: Context) -> Any:
        if isinstance(value, bool) or value not in values:
            ctx.check.add(path, f"{_show(value)} is not a valid {what} ({shown})")
            return INVALID
        return value

    return Leaf(validate)


def _periodicity(value: Any, path: str, ctx: Context) -> Any:
    if not isinstance(value, str) or value not in PERIODICITY_LABELS:
        ctx.check.add(
            path, f"{_show(value)} is not a valid periodicity ({', '.join(PERIODICITY_LABELS)})"
        )
        return INVALID
    return {"label": PERIODICITY_LABELS[value], "value": value}


def _list(item: Validate) -> Leaf:
    """An array, replaced whole; each item checked at ``path[i]``."""

    def validate(value: Any, path: str, ctx: Context) -> Any:
        if not isinstance(value, list):
            ctx.check.add(path, "must be a list")
            return INVALID
        cleaned = [item(entry, f"{path}[{index}]", ctx) for index, entry in enumerate(value)]
        return INVALID if any(c is INVALID for c in cleaned) else cleaned

    return Leaf(validate)


def _string_item(
    pattern: re.Pattern[str] | None = None, hint: str = "", catalogue: str = "", upper: bool = False
) -> Validate:
    return _string_check(pattern, hint, catalogue, strip=True, upper=upper)


def _free_object(value: Any, path: str, ctx: Context) -> Any:
    if not isinstance(value, dict):
        ctx.check.add(path, "must be an object")
        return INVALID
    return copy.deepcopy(value)


def _record(required: tuple[str, ...], optional: tuple[str, ...]) -> Validate:
    """An object of text fields; unknown keys rejected like every other settings field."""

    def validate(value: Any, path: str, ctx: Context) -> Any:
        if not isinstance(value, dict):
            ctx.check.add(path, "must be an object")
            return INVALID
        ok = True
        for key, entry in value.items():
            if key not in required and key not in optional:
                ctx.check.add(f"{path}.{key}", "is not a known field")
                ok = False
            elif entry is not None and not isinstance(entry, str):
                ctx.check.add(f"{path}.{key}", "must be text")
                ok = False
        for key in required:
            entry = value.get(key)
            if entry is None or (isinstance(entry, str) and not entry.strip()):
                ctx.check.missing(f"{path}.{key}")
                ok = False
        return {k: v for k, v in value.items()} if ok else INVALID

    return validate


def _serie(value: Any, path: str, ctx: Context) -> Any:
    if not isinstance(value, str):
        ctx.check.add(path, "must be text")
        return INVALID
    name = ctx.series.get(value.strip().casefold())
    if name is None:
        known = ", ".join(sorted(ctx.series.values())) or "none yet"
        ctx.check.add(path, f"'{value}' is not a series of this team (series: {known})")
        return INVALID
    return name


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------- the contract
BOOL = Leaf(_bool)
TEXT = _text()
EMAILS_TEXT = re.compile(
    r"^(invoice|complement|credit_note|payment|receipt|receipt_reminder)_(body|subject)$"
)
EMAIL_LIST = _list(_string_item(EMAIL_RE, "a valid e-mail address"))
LOCALIZED = Group({"body": TEXT, "subject": TEXT})
TEMPLATE = Group({"es": LOCALIZED, "en": LOCALIZED})
SERIES_REF = Group({"serie": Leaf(_serie, text=True)})

SETTINGS = Group(
    {
        **{
            name: BOOL
            for name in (
                "avoid_legal_name_replacer",
                "enforce_client_country_taxes",
                "global_invoice_disabled",
                "automate_complement_for_ppd_invoices",
                "automate_partial_payment_complements",
                "use_foreign_public_in_usd",
                "avoid_receipts",
                "cancel_receipts_on_refunds",
                "invoice_per_receipt",
                "allow_notes_on_self_invoice",
                "allow_product_code_on_self_invoice",
                "send_invoice_english_pdf",
                "keep_full_legal_name",
            )
        },
        **{
            name: TEXT
            for name in (
                "default_description",
                "override_item_description",
                "invoice_pdf_notes",
                "unit_name",
                "sku",
                "addenda",
                "custom_payment_description",
                "customer_portal_id",
                "force_series",
            )
        },
        "product_key": _text(PRODUCT_KEY_RE, "a valid SAT product key (8 digits)", strip=True),
        "unit_key": _text(strip=True),
        "use": _text(catalogue="cfdi_uses", hint="a valid CFDI use (c_UsoCFDI)", strip=True),
        "avoid_automations_on_currencies": _list(
            _string_item(CURRENCY_RE, "an ISO 4217 currency code (for example USD)", upper=True)
        ),
        "uses_on_self_invoice_portal": _list(
            _string_item(catalogue="cfdi_uses", hint="a valid CFDI use (c_UsoCFDI)")
        ),
        "concepts_catalog": _list(_string_item()),
        **{
            name: _list(_free_object)
            for name in ("taxes", "taxes_usd", "withholding_taxes", "local_taxes")
        },
        "complements": _list(_record((), ("data", "description", "type"))),
        "allowed_product_codes": _list(_record(("key", "description"), ())),
        "periodicity": Leaf(_periodicity),
        "pdf_language": _enum(("en", "es"), "PDF language"),
        "global_invoicing_monthly_cuts": _enum((2, 3, 4, 5), "number of monthly cuts"),
        "eom_ppd_threshold_days": _int(0, 31),
        "limit_days_to_pay": _int(0),
        "payment_reminders": Group(
            {
                "days": _int(0),
                "enabled": BOOL,
                "before_body": TEXT,
                "before_subject": TEXT,
                "after_body": TEXT,
                "after_subject": TEXT,
            }
        ),
        "reinvoice": Group({"window_days": _int(0), "handler": _enum(HANDLERS, "handler")}),
        "refunds": Group(
            {"automatic_refunds": BOOL, "current_month_handler": _enum(HANDLERS, "handler")}
        ),
        "emails": Group(
            {
                "invoices_bcc": EMAIL_LIST,
                "payments_bcc": EMAIL_LIST,
                "receipts_bcc": EMAIL_LIST,
                "avoid_invoice_emails": BOOL,
                "avoid_test_invoice_emails": BOOL,
                "avoid_receipts_emails": BOOL,
                "avoid_foreign_receipts_emails": BOOL,
            },
            pattern=EMAILS_TEXT,
            pattern_leaf=TEXT,
        ),
        "email_templates": Group(
            {
                name: TEMPLATE
                for name in (
                    "invoices",
                    "complements",
                    "credit_notes",
                    "payments",
                    "receipts",
                    "receipt_reminders",
                )
            }
        ),
        "default_series": Group(
            {"income": SERIES_REF, "complements": SERIES_REF, "credit_note": SERIES_REF}
        ),
    }
)


# ------------------------------------------------------------------------------- the merge
def _clears(spec: Leaf | Group, value: Any) -> bool:
    if value is None:
        return True
    return isinstance(spec, Leaf) and spec.text and isinstance(value, str) and not value.strip()


def _merge(
    target: dict[str, Any],
    body: dict[str, Any],
    spec: Group,
    defaults: dict[str, Any],
    path: str,
    ctx: Context,
) -> None:
    for key, value in body.items():
        where = f"{path}.{key}" if path else key
        child = spec.child(key) if isinstance(key, str) else None
        if child is None:
            ctx.check.add(where, "is not a known setting")
            continue
        if _clears(child, value):
            if key in defaults:
                target[key] = copy.deepcopy(defaults[key])
            else:
                target.pop(key, None)
            continue
        if isinstance(child, Group):
            if not isinstance(value, dict):
                ctx.check.add(where, "must be an object")
                continue
            current = target.get(key)
            if not isinstance(current, dict):
                current = copy.deepcopy(defaults.get(key)) or {}
            sub_defaults = defaults.get(key) if isinstance(defaults.get(key), dict) else {}
            _merge(current, value, child, sub_defaults, where, ctx)
            target[key] = current
            continue
        cleaned = child.validate(value, where, ctx)
        if cleaned is not INVALID:
            target[key] = cleaned


def updated_settings(
    settings: dict[str, Any], body: dict[str, Any], series_names: list[str]
) -> dict[str, Any]:
    """The team's settings after applying ``body`` (TeamSettingsInput); raises on any problem.

    ``settings`` is not modified: the caller stores the returned object.
    """
    check = Checker()
    ctx = Context(series={name.casefold(): name for name in series_names}, check=check)
    result = copy.deepcopy(settings)
    _merge(result, body, SETTINGS, default_settings(), "", ctx)
    check.raise_if_any()
    return result
