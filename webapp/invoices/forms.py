"""Invoice list filters (all in the URL)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SearchField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.forms import BackofficeForm


class InvoiceFilterForm(BackofficeForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("UUID, series-folio (A-12) or client RFC / name"), validators=[Length(max=200)]
    )
    status = SelectField(
        _l("Status"),
        validate_choice=False,
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("valid", _l("Valid")),
            SelectChoice("cancelled", _l("Cancelled")),
        ],
    )
    payment_method = SelectField(
        _l("Payment method"),
        validate_choice=False,
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("PUE", "PUE"),
            SelectChoice("PPD", "PPD"),
        ],
    )
    series = StringField(_l("Series"), validators=[Length(max=25)])
    client_id = StringField(_l("Client id"), validators=[Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    sort = SelectField(
        _l("Sort by"),
        validate_choice=False,
        default="-created",
        choices=[
            SelectChoice("-created", _l("Newest first")),
            SelectChoice("created", _l("Oldest first")),
            SelectChoice("name", _l("Client (A–Z)")),
            SelectChoice("-name", _l("Client (Z–A)")),
        ],
    )


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
        return list(
            dict.fromkeys(
                part.strip() for part in (self.emails.data or "").split(",") if part.strip()
            )
        )


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


class CancelForm(BackofficeForm):
    motive = SelectField(_l("Motive"), validate_choice=False, choices=[])
    substitution_uuid = SelectField(
        _l("Substitute invoice (motive 01)"), validate_choice=False, choices=[]
    )
    reason = TextAreaField(
        _l("Reason (for the audit log)"),
        validators=[DataRequired(_l("Say why the invoice is cancelled.")), Length(max=500)],
    )
    confirm_folio = StringField(
        _l("Type the series-folio to confirm (live mode)"), validators=[Length(max=40)]
    )
