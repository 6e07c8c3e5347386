"""Payment forms: list filters (all in the URL), register money received, request a payment
link, mark as paid, refund and cancel."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import catalogs
from webapp.forms import BackofficeForm
from webapp.items import MAX_ITEMS, ItemForm

from .states import AUTOMATION_HELP, METHOD_LABELS, PAYMENT_METHODS

CURRENCIES = ("MXN", "USD", "EUR")


def payment_form_choices(with_blank: bool = False) -> list[tuple[str, str]]:
    blank = [("", _l("Choose how the money arrived"))] if with_blank else []
    return blank + [
        (e["code"], f"{e['code']} — {e['name']}") for e in catalogs.entries("payment_forms")
    ]


class PaymentFilterForm(BackofficeForm):
    class Meta:
        csrf = False

    status = HiddenField()
    client_id = StringField(_l("Client id"), validators=[Length(max=64)])
    email = StringField(_l("Client e-mail"), validators=[Length(max=254)])
    tax_id = StringField(_l("Client RFC"), validators=[Length(max=13)])
    currency = SelectField(
        _l("Currency"),
        validate_choice=False,
        choices=[SelectChoice("", _l("Any"))] + [SelectChoice(c, c) for c in CURRENCIES],
    )
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    sort = SelectField(
        _l("Sort by"),
        validate_choice=False,
        default="-created",
        choices=[
            SelectChoice("-created", _l("Newest first")),
            SelectChoice("created", _l("Oldest first")),
        ],
    )


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PaymentForm(BackofficeForm):
    """What register and request share: the client, the items, the currency, the automation."""

    idempotency_key = HiddenField()
    client_id = StringField(_l("Client"), validators=[Length(max=64)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=MAX_ITEMS)
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], default="MXN"
    )
    exchange_rate = DecimalField(
        _l("Exchange rate"),
        places=None,
        validators=[Optional(), NumberRange(min=Decimal("0.000001"), message=_l("More than 0."))],
    )
    automation_type = SelectField(
        _l("When the payment succeeds"),
        default="none",
        choices=[SelectChoice(code, text) for code, text in AUTOMATION_HELP.items()],
    )
    send_email = BooleanField(_l("E-mail the client"))
    emails = StringField(
        _l("Other recipients"),
        validators=[Length(max=2000)],
        description=_l("Optional, separated by commas."),
    )

    def addresses(self) -> list[str]:
        return list(
            dict.fromkeys(p.strip() for p in (self.emails.data or "").split(",") if p.strip())
        )


class RegisterForm(PaymentForm):
    payment_form = SelectField(_l("Payment form"), choices=[], validate_choice=False)
    received_on = DateField(
        _l("Received on"),
        validators=[Optional()],
        description=_l(
            "gigstack records the moment you register it; the "
            "date you type is kept in the payment's metadata."
        ),
    )
    ppd_invoice_id = SelectField(_l("PPD invoice it pays"), choices=[], validate_choice=False)


class RequestForm(PaymentForm):
    methods = MultiCheckbox(
        _l("Allowed payment methods"),
        default=["spei"],
        choices=[SelectChoice(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        validate_choice=False,
    )


class MarkPaidForm(BackofficeForm):
    payment_form = SelectField(
        _l("How the money arrived"),
        validate_choice=False,
        choices=lambda: payment_form_choices(with_blank=True),
        validators=[DataRequired(_l("Choose the payment form."))],
    )


class RefundForm(BackofficeForm):
    once = HiddenField()
    amount = DecimalField(
        _l("Amount to refund"),
        places=None,
        validators=[
            InputRequired(_l("Type the amount to refund.")),
            NumberRange(min=Decimal("0.01"), message=_l("The amount must be more than 0.")),
        ],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Say why the payment is refunded.")), Length(max=500)],
    )
    external = BooleanField(_l("Refunded outside gigstack (the money went back another way)"))


class CancelForm(BackofficeForm):
    reason = TextAreaField(
        _l("Reason (for the audit log)"),
        validators=[DataRequired(_l("Say why the payment is cancelled.")), Length(max=500)],
    )
