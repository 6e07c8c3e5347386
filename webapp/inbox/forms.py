"""The inbox's filters (a GET form) and its one verb: snooze a row until a day, with a reason."""

from __future__ import annotations

from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length

from webapp.forms import (
    ANY,
    BackofficeForm,
    DayInRange,
    FilterForm,
    choice_filter,
    reason_field,
    strip,
)
from webapp.i18n import lazy_gettext as _l

KIND_LABELS = {
    "csd": _l("CSD expired or expiring"),
    "not_ready": _l("Team not ready to invoice"),
    "complement": _l("Payment complement due"),
    "ppd": _l("PPD balance"),
    "receipt": _l("Receipt about to expire"),
    "cancellation": _l("Cancellation pending"),
}


class InboxFilterForm(FilterForm):
    """What kind of row, and which team (its name, RFC or id): every row stays in the URL."""

    kind = choice_filter(_l("Kind"), ANY, *KIND_LABELS.items(), default="")
    team = StringField(_l("Team (name, RFC or id)"), filters=[strip], validators=[Length(max=100)])


class SnoozeForm(BackofficeForm):
    """Until when the row is put aside (it shows again that day), and why (kept as typed)."""

    until = DateField(
        _l("Snooze until"),
        validators=[DataRequired(_l("Choose the day it shows again.")), DayInRange()],
    )
    reason = reason_field(_l("Say why it can wait."))
