"""Team settings (TeamSettingsInput, REFERENCE §7.14) as the API groups them, and how a value
travels between the API and the settings form.

Only changed fields are sent. "Clear" is honoured: an emptied text goes as ``""``, a yes/no
or a choice set back to "not set" goes as ``null`` (gigstack's default applies again).
Field names follow the API's paths (``emails.invoices_bcc`` → ``emails-invoices_bcc``) so a
gigstack field error lands on its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp import labels
from webapp.i18n import lazy_gettext as _l

UNSET = ""
YES_NO = [(UNSET, _l("Not set (gigstack's default)")), ("yes", _l("Yes")), ("no", _l("No"))]
EMAILS = r"^\s*([^@\s,]+@[^@\s,]+\.[^@\s,]+\s*(,\s*[^@\s,]+@[^@\s,]+\.[^@\s,]+\s*)*)?$"


@dataclass(frozen=True)
class Setting:
    """One setting: its API path, kind (text, bool, choice, int, emails, series) and label."""

    path: str
    kind: str
    label: Any
    choices: tuple = ()

    @property
    def field_name(self) -> str:
        return self.path.replace(".", "-")

    @property
    def attr(self) -> str:
        return self.path.replace(".", "__")


GROUPS: list[tuple[Any, list[Setting]]] = [
    (
        _l("Invoice defaults"),
        [
            Setting("default_description", "text", _l("Default item description")),
            Setting("override_item_description", "text", _l("Override item description")),
            Setting("product_key", "text", _l("Default product key (8 digits)")),
            Setting("unit_key", "text", _l("Default unit key")),
            Setting("unit_name", "text", _l("Default unit name")),
            Setting("use", "choice", _l("Default CFDI use"), ("cfdi_uses",)),
            Setting("sku", "text", _l("Default SKU")),
            Setting("invoice_pdf_notes", "text", _l("Notes printed on the invoice PDF")),
            Setting(
                "pdf_language", "choice", _l("PDF language"), tuple(labels.choices("pdf_language"))
            ),
            Setting("send_invoice_english_pdf", "bool", _l("Also send the PDF in English")),
            Setting("force_series", "text", _l("Force this series on every invoice")),
            Setting("limit_days_to_pay", "int", _l("Days to pay")),
        ],
    ),
    (
        _l("Default series"),
        [
            Setting("default_series.income.serie", "series", _l("Income invoices")),
            Setting("default_series.credit_note.serie", "series", _l("Credit notes")),
            Setting("default_series.complements.serie", "series", _l("Payment complements")),
        ],
    ),
    (
        _l("Automations and global invoices"),
        [
            Setting(
                "automate_complement_for_ppd_invoices",
                "bool",
                _l("Payment complements for PPD invoices automatically"),
            ),
            Setting(
                "automate_partial_payment_complements",
                "bool",
                _l("Complements for partial payments automatically"),
            ),
            Setting("global_invoice_disabled", "bool", _l("Global invoice disabled")),
            Setting(
                "periodicity",
                "choice",
                _l("Global invoice periodicity"),
                tuple(labels.choices("periodicity")),
            ),
            Setting(
                "global_invoicing_monthly_cuts",
                "choice",
                _l("Global invoice cuts a month"),
                (("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")),
            ),
            Setting("eom_ppd_threshold_days", "int", _l("Month-end PPD threshold (days, 0–31)")),
        ],
    ),
    (
        _l("Receipts and self-invoicing"),
        [
            Setting("avoid_receipts", "bool", _l("Do not make receipts")),
            Setting("invoice_per_receipt", "bool", _l("One invoice per receipt")),
            Setting("cancel_receipts_on_refunds", "bool", _l("Cancel receipts on refunds")),
            Setting("allow_notes_on_self_invoice", "bool", _l("Allow notes on self-invoices")),
            Setting(
                "allow_product_code_on_self_invoice",
                "bool",
                _l("Allow product codes on self-invoices"),
            ),
        ],
    ),
    (
        _l("Fiscal data handling"),
        [
            Setting("avoid_legal_name_replacer", "bool", _l("Keep the legal name as typed")),
            Setting("keep_full_legal_name", "bool", _l("Keep the full legal name")),
            Setting(
                "enforce_client_country_taxes", "bool", _l("Enforce the client's country taxes")
            ),
            Setting("use_foreign_public_in_usd", "bool", _l("Foreign public invoices in USD")),
        ],
    ),
    (
        _l("E-mails"),
        [
            Setting("emails.invoices_bcc", "emails", _l("Bcc of invoice e-mails")),
            Setting("emails.payments_bcc", "emails", _l("Bcc of payment e-mails")),
            Setting("emails.receipts_bcc", "emails", _l("Bcc of receipt e-mails")),
            Setting("emails.avoid_invoice_emails", "bool", _l("Do not e-mail invoices")),
            Setting("emails.avoid_test_invoice_emails", "bool", _l("Do not e-mail test invoices")),
            Setting("emails.avoid_receipts_emails", "bool", _l("Do not e-mail receipts")),
            Setting(
                "emails.avoid_foreign_receipts_emails", "bool", _l("Do not e-mail foreign receipts")
            ),
        ],
    ),
]
SETTINGS = [setting for _, settings in GROUPS for setting in settings]


def _read(settings: dict[str, Any], path: str) -> Any:
    value: Any = settings
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict) and "value" in value:  # periodicity {label, value}
        value = value["value"]
    return value


def shown_value(setting: Setting, value: Any) -> Any:
    """The API's value as the form shows it."""
    if setting.kind == "bool":
        return UNSET if value is None else ("yes" if value else "no")
    if setting.kind == "emails":
        return ", ".join(value) if isinstance(value, list) else (value or "")
    if setting.kind == "int":
        return value
    return "" if value is None else str(value)


def sent_value(setting: Setting, shown: Any) -> Any:
    """The form's value as the API takes it: ``null`` clears a yes/no or a choice, ``""`` a
    text, an empty list the e-mails."""
    if setting.kind == "bool":
        return None if shown == UNSET else shown == "yes"
    if setting.kind == "emails":
        return [part.strip() for part in (shown or "").split(",") if part.strip()]
    if setting.kind == "int":
        return shown
    if setting.kind in ("choice", "series"):
        if shown == UNSET:
            return None
        return int(shown) if setting.path == "global_invoicing_monthly_cuts" else shown
    return shown or ""


def changed_payload(form: Any, current: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the current settings, nested as the API nests it."""
    payload: dict[str, Any] = {}
    for setting in SETTINGS:
        before = shown_value(setting, _read(current, setting.path))
        after = getattr(form, setting.attr).data
        if (before if before is not None else "") == (after if after is not None else ""):
            continue
        node = payload
        parts = setting.path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = sent_value(setting, after)
    return payload


def form_values(current: dict[str, Any]) -> dict[str, Any]:
    """The current settings as the settings form's initial data."""
    return {
        setting.attr: shown_value(setting, _read(current, setting.path)) for setting in SETTINGS
    }


# each setting's label by its path: how an audit row names what a settings change touched
labels.LABELS["setting"].update(
    {setting.path: setting.label for _group, settings in GROUPS for setting in settings}
)


def changed_paths(payload: dict[str, Any], prefix: str = "") -> list[str]:
    """``{"emails": {"invoices_bcc": …}}`` → ``["emails.invoices_bcc"]`` (for the audit row)."""
    out = []
    for key, value in payload.items():
        path = f"{prefix}{key}"
        out += changed_paths(value, path + ".") if isinstance(value, dict) else [path]
    return out


def shown_groups(form: Any) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """Each group's settings as (label, value) facts, a choice by its label: what a viewer,
    who may not change them, is shown instead of a form."""
    return [
        (label, [(setting.label, _fact(form[setting.attr])) for setting in settings])
        for label, settings in GROUPS
    ]


def _fact(field: Any) -> Any:
    if hasattr(field, "iter_choices"):  # the chosen option's label
        return next((label for _v, label, selected, *_ in field.iter_choices() if selected), None)
    return field.data
