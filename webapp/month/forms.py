"""The accountant's month forms: which month and what goes in; for partners, which teams."""

from __future__ import annotations

from typing import Any

from wtforms import Field, RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, ValidationError

from webapp.forms import CreateForm, MultiCheckbox
from webapp.i18n import lazy_gettext as _l
from webapp.staff.forms import ALL_TEAMS, SOME_TEAMS

KIND_CHOICES = [
    ("income", _l("Income (I)")),
    ("egress", _l("Egress (E)")),
    ("payment", _l("Payment complements (P)")),
]
STATUS_CHOICES = [("valid", _l("Valid")), ("cancelled", _l("Cancelled"))]


class MonthForm(CreateForm):
    """One month (the view offers the last 24, last month first) and what goes in."""

    month = SelectField(_l("Month"), choices=[])
    kinds = MultiCheckbox(
        _l("Documents"),
        choices=KIND_CHOICES,
        default=[value for value, _ in KIND_CHOICES],
        validators=[DataRequired(_l("Choose at least one type of CFDI."))],
    )
    statuses = MultiCheckbox(
        _l("Status"),
        choices=STATUS_CHOICES,
        default=[value for value, _ in STATUS_CHOICES],
        validators=[DataRequired(_l("Choose valid, cancelled or both."))],
    )

    def params(self) -> dict[str, Any]:
        """What the job is asked for (kept with it, shown on its page)."""
        return {
            "month": self.month.data,
            "kinds": [v for v, _ in KIND_CHOICES if v in (self.kinds.data or ())],
            "statuses": [v for v, _ in STATUS_CHOICES if v in (self.statuses.data or ())],
        }


class PartnerMonthForm(MonthForm):
    """The same month for every team the staff member may use, or some of them (the staff
    form's team picker: a search on the server, never the whole list)."""

    teams_mode = RadioField(
        _l("Teams"),
        default=ALL_TEAMS,
        choices=[
            SelectChoice(ALL_TEAMS, _l("Every team you may use")),
            SelectChoice(SOME_TEAMS, _l("Only the teams selected below")),
        ],
    )
    teams = SelectMultipleField(_l("Selected teams"), choices=[], validate_choice=False)

    def validate_teams(self, field: Field) -> None:
        if self.teams_mode.data == SOME_TEAMS and not field.data:
            raise ValidationError(_l("Choose at least one team, or every team."))
