"""Receipt forms: list filters (in the URL), create, cancel."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp import catalogs
from webapp.forms import BackofficeForm
from webapp.items import MAX_ITEMS, ItemForm

CURRENCIES = ("MXN", "USD", "EUR")


class ReceiptFilterForm(BackofficeForm):
    class Meta:
        csrf = False

    status = HiddenField()
    client_id = StringField(_l("Client id"), validators=[Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class ReceiptForm(BackofficeForm):
    idempotency_key = HiddenField()
    client_id = StringField(
        _l("Client (optional: público en general)"), validators=[Length(max=64)]
    )
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=MAX_ITEMS)
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], default="MXN"
    )
    exchange_rate = DecimalField(
        _l("Exchange rate"),
        places=None,
        validators=[Optional(), NumberRange(min=Decimal("0.000001"), message=_l("More than 0."))],
    )
    payment_form = SelectField(
        _l("Payment form"),
        default="03",
        validate_choice=False,
        choices=lambda: [
            (e["code"], f"{e['code']} — {e['name']}")
            for e in catalogs.entries("payment_forms")
            if e["code"] != "99"
        ],
    )
    periodicity = SelectField(
        _l("Self-invoicing period"),
        default="",
        validate_choice=False,
        choices=lambda: (
            [("", _l("The team's setting (else month)"))]
            + [
                (e["setting_value"], f"{e['code']} — {e['name']}")
                for e in catalogs.entries("periodicities")
                if e.get("setting_value")
            ]
        ),
    )


class ReceiptCancelForm(BackofficeForm):
    reason = TextAreaField(
        _l("Reason (for the audit log)"),
        validators=[DataRequired(_l("Say why the receipt is cancelled.")), Length(max=500)],
    )
