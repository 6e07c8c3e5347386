"""Invoice list filters (all in the URL)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SearchField, SelectField, StringField
from wtforms.validators import Length, Optional

from webapp.forms import BackofficeForm


class InvoiceFilterForm(BackofficeForm):
    class Meta:
        csrf = False

    q = SearchField(_l("UUID, series-folio (A-12) or client RFC / name"),
                    validators=[Length(max=200)])
    status = SelectField(_l("Status"), validate_choice=False, choices=[
        ("", _l("Any")), ("valid", _l("Valid")), ("cancelled", _l("Cancelled"))])
    payment_method = SelectField(_l("Payment method"), validate_choice=False, choices=[
        ("", _l("Any")), ("PUE", "PUE"), ("PPD", "PPD")])
    series = StringField(_l("Series"), validators=[Length(max=25)])
    client_id = StringField(_l("Client id"), validators=[Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validate_choice=False, default="-created", choices=[
        ("-created", _l("Newest first")), ("created", _l("Oldest first")),
        ("name", _l("Client (A–Z)")), ("-name", _l("Client (Z–A)"))])
