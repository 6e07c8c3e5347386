"""Payment forms: list filters (all in the URL), register money received, request a payment
link, mark as paid, refund and cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from webapp import catalogs, labels
from webapp.forms import (
    ANY,
    NEWEST_FIRST,
    OLDEST_FIRST,
    BackofficeForm,
    FiniteDecimalField,
    MultiCheckbox,
    choice_filter,
    date_field,
    reason_form,
)
from webapp.i18n import lazy_gettext as _l
from webapp.sales.forms import CURRENCIES, SaleFilterForm, SaleForm, listed

from .states import METHOD_LABELS, PAYMENT_METHODS


def payment_form_choices(with_blank: bool = False) -> list[tuple[str, str]]:
    blank = [("", _l("Choose how the money arrived"))] if with_blank else []
    return blank + [
        (e["code"], f"{e['code']} — {e['name']}") for e in catalogs.entries("payment_forms")
    ]


class PaymentFilterForm(SaleFilterForm):
    status = HiddenField()
    email = StringField(_l("Client e-mail"), validators=[Length(max=254)])
    tax_id = StringField(_l("Client RFC"), validators=[Length(max=13)])
    currency = choice_filter(_l("Currency"), ANY, *[(c, c) for c in CURRENCIES])
    sort = choice_filter(_l("Sort by"), NEWEST_FIRST, OLDEST_FIRST, default="-created")


class Recipients(BackofficeForm):
    """Whom gigstack e-mails about a payment: the client, and other addresses."""

    send_email = BooleanField(_l("E-mail the client"))
    emails = StringField(
        _l("Other recipients"),
        validators=[Length(max=2000)],
        description=_l("Optional, separated by commas."),
    )

    def addresses(self) -> list[str]:
        return listed(self.emails.data)


class PaymentForm(SaleForm, Recipients):
    """What register and request share: the sale (client, items, currency), the automation."""

    automation_type = SelectField(
        _l("When the payment succeeds"), default="none", choices=labels.choices("automation_type")
    )


def received_on_field() -> Any:
    """The day the money arrived, as a note: gigstack's register input takes no payment date
    (REFERENCE §12.4), so the payment — and a complement's payment date, FechaPago — is dated
    the moment it is registered; the form says so rather than pretend."""
    return date_field(
        _l("Received on (a note)"),
        description=_l(
            "gigstack takes no payment date: it dates the payment, and any complement's "
            "payment date, the moment you register it. The day you type is kept only as a "
            "note in the payment's metadata."
        ),
    )


class RegisterForm(PaymentForm):
    payment_form = SelectField(_l("Payment form"), choices=[], validate_choice=False)
    received_on = received_on_field()


class PayInvoiceForm(Recipients):
    """A payment on an existing PPD invoice: the invoice, the amount (its balance at most),
    how and when the money arrived — the items come from the invoice."""

    idempotency_key = HiddenField()
    client_id = HiddenField()
    shown_for = HiddenField()  # the invoice whose balance the amount was filled with
    ppd_invoice_id = SelectField(_l("Invoice it pays"), choices=[], validate_choice=False)
    amount = FiniteDecimalField(_l("Amount received"), validators=[Optional()])
    payment_form = SelectField(
        _l("Payment form"), validate_choice=False, choices=lambda: payment_form_choices(True)
    )
    exchange_rate = SaleForm.exchange_rate
    received_on = received_on_field()


class RequestForm(PaymentForm):
    methods = MultiCheckbox(
        _l("Allowed payment methods"),
        default=["spei"],
        choices=[(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        validate_choice=False,
    )


class MarkPaidForm(BackofficeForm):
    payment_form = SelectField(
        _l("How the money arrived"),
        choices=lambda: payment_form_choices(with_blank=True),
        validators=[DataRequired(_l("Choose the payment form."))],
    )


RefundForm = reason_form(
    _l("Say why the payment is refunded."),
    once=HiddenField(),
    amount=FiniteDecimalField(
        _l("Amount to refund"),
        validators=[
            InputRequired(_l("Type the amount to refund.")),
            NumberRange(min=Decimal("0.01"), message=_l("The amount must be more than 0.")),
        ],
    ),
    external=BooleanField(_l("Refunded outside gigstack (the money went back another way)")),
)

CancelForm = reason_form(_l("Say why the payment is cancelled."), _l("Reason (for the audit log)"))
