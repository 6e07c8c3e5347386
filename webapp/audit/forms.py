"""The audit filters form: a GET form, so the filters live in the URL."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, ValidationError

from webapp.forms import FilterForm, date_field, strip
from webapp.i18n import lazy_gettext as _l


class AuditFilterForm(FilterForm):
    staff = SelectField(_l("Staff member"), choices=[], validate_choice=False)
    # typed, not chosen: a list of every team in the log would grow with the teams (5,000)
    team = StringField(_l("Team (name, RFC or id)"), filters=[strip], validators=[Length(max=100)])
    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    date_from = date_field(_l("From"))
    date_to = date_field(_l("To"))

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("“To” must be on or after “From”."))
