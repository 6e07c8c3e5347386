"""Invoice forms: list filters (all in the URL), issue (income and egress), credit note,
send and cancel."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp import catalogs
from webapp.forms import (
    ANY,
    BackofficeForm,
    FiniteDecimalField,
    RowForm,
    choice_filter,
    name_sort,
    reason_form,
)
from webapp.i18n import lazy_gettext as _l
from webapp.labels import LABELS
from webapp.sales.forms import IdempotencyKeyField, SaleFilterForm, SaleForm, listed

from .lookup import STATUS_KINDS


class InvoiceFilterForm(SaleFilterForm):
    q = SearchField(
        _l("UUID, series-folio (A-12) or client RFC / name"), validators=[Length(max=200)]
    )
    status = choice_filter(
        _l("Status"), ANY, *((code, LABELS["invoice_status"][code]) for code in STATUS_KINDS)
    )
    payment_method = choice_filter(_l("Payment method"), ANY, ("PUE", "PUE"), ("PPD", "PPD"))
    series = StringField(_l("Series"), validators=[Length(max=25)])
    sort = name_sort(_l("Client (A–Z)"), _l("Client (Z–A)"))


class SendForm(BackofficeForm):
    emails = StringField(
        _l("Recipients"),
        validators=[
            DataRequired(_l("Type at least one e-mail address.")),
            Length(max=2000),
            Regexp(
                r"^\s*[^@\s,]+@[^@\s,]+\.[^@\s,]+\s*(,\s*[^@\s,]+@[^@\s,]+\.[^@\s,]+\s*)*$",
                message=_l("Type e-mail addresses separated by commas."),
            ),
        ],
        description=_l("Several addresses separated by commas."),
    )

    def addresses(self) -> list[str]:
        return listed(self.emails.data)


# what each SAT cancellation motive means, said plainly (names come from the catalogue)
MOTIVE_HELP = {
    "01": _l(
        "The invoice had errors and a new one replaces it: issue the substitute first, "
        "then choose it here."
    ),
    "02": _l(
        "The invoice had errors and is not replaced (for example, a wrong amount that "
        "will not be invoiced again)."
    ),
    "03": _l("The sale or service did not happen."),
    "04": _l("The operation is included in a global invoice."),
}


CancelForm = reason_form(
    _l("Say why the invoice is cancelled."),
    _l("Reason (for the audit log)"),
    motive=SelectField(_l("Motive"), validate_choice=False, choices=[]),
    substitution_uuid=SelectField(
        _l("Substitute invoice (motive 01)"), validate_choice=False, choices=[]
    ),
    confirm_folio=StringField(
        _l("Type the series-folio to confirm (live mode)"), validators=[Length(max=40)]
    ),
    confirm_related=BooleanField(
        _l("I know these documents are still valid: cancel this one anyway")
    ),
)


class InvoiceForm(SaleForm):
    replaces = HiddenField()  # the invoice this one substitutes (motive 01, relationship 04)
    copy_of = HiddenField()  # the invoice this one duplicates (no relation)
    copy_failed = None  # the original that could not be read (a panel), when it failed
    payment_method = SelectField(
        _l("Payment method"),
        choices=[
            ("PUE", "PUE — Pago en una sola exhibición"),
            ("PPD", "PPD — Pago en parcialidades o diferido"),
        ],
        default="PUE",
    )
    payment_form = SelectField(_l("Payment form"), choices=[], validate_choice=False)
    use = SelectField(_l("CFDI use"), choices=[], validate_choice=False)
    series = SelectField(_l("Series"), choices=[], validate_choice=False)
    confirm_live = BooleanField()


class EgressForm(InvoiceForm):
    """A free egress invoice: the same form, plus the documents it relates to."""

    relationship = SelectField(
        _l("Relationship"),
        validate_choice=False,
        default="01",
        choices=lambda: (
            [("", _l("None"))]
            + [
                (e["code"], f"{e['code']} — {e['name']}")
                for e in catalogs.entries("invoice_relationships")
                if e.get("cfdi40_valid", True)
            ]
        ),
    )
    related_uuids = TextAreaField(
        _l("Related invoices (UUIDs)"),
        validators=[Length(max=2000)],
        description=_l("One or more UUIDs, separated by commas or spaces."),
    )

    def uuids(self) -> list[str]:
        return listed(self.related_uuids.data, r"[\s,;]+")


class CreditRow(RowForm):
    include = BooleanField(_l("Credit"), default=True)
    quantity = FiniteDecimalField(_l("Quantity"), validators=[Optional()])


class CreditNoteForm(BackofficeForm):
    idempotency_key = IdempotencyKeyField()
    rows = FieldList(FormField(CreditRow))
    series = SelectField(_l("Series"), choices=[], default="")  # blank: gigstack's pick
