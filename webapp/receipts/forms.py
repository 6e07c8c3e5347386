"""Receipt forms: list filters (in the URL), create, cancel."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length

from webapp import catalogs
from webapp.forms import reason_form
from webapp.i18n import lazy_gettext as _l
from webapp.sales.forms import SaleFilterForm, SaleForm


class ReceiptFilterForm(SaleFilterForm):
    status = HiddenField()


class ReceiptForm(SaleForm):
    client_id = StringField(
        _l("Client (optional: público en general)"), validators=[Length(max=64)]
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


ReceiptCancelForm = reason_form(
    _l("Say why the receipt is cancelled."), _l("Reason (for the audit log)")
)
