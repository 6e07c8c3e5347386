"""The audit filters form: a GET form, so the filters live in the URL."""

from __future__ import annotations

from wtforms import DateField, SelectField
from wtforms.validators import ValidationError

from webapp.forms import FilterForm, date_field
from webapp.i18n import lazy_gettext as _l


class AuditFilterForm(FilterForm):
    staff = SelectField(_l("Staff member"), choices=[], validate_choice=False)
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    date_from = date_field(_l("From"))
    date_to = date_field(_l("To"))

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("“To” must be on or after “From”."))
