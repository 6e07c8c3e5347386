"""The confirmation forms of the bulk actions: a one-time token (the job starts once), the
count the page named, and for a cancel its reason (and an invoice's motive)."""

from __future__ import annotations

from typing import Any

from wtforms import Field, HiddenField, SelectField
from wtforms.validators import DataRequired, ValidationError

from webapp import catalogs
from webapp.forms import CreateForm, reason_field
from webapp.i18n import lazy_gettext as _l

# 01 names the invoice that replaces each one: no bulk action can say that
SUBSTITUTED = "01"


class BulkForm(CreateForm):
    """Starts the job (the selection rides in hidden fields the view reads itself)."""

    count = HiddenField()

    def params(self) -> dict[str, Any]:
        """What the job keeps of the form beside the selection."""
        count = self.count.data or ""
        return {"count": int(count) if count.isdigit() and len(count) < 7 else 0}


class BulkCancelForm(BulkForm):
    reason = reason_field(_l("Say why they are cancelled."))

    def params(self) -> dict[str, Any]:
        return super().params() | {"reason": self.reason.data}


class BulkInvoiceCancelForm(BulkCancelForm):
    motive = SelectField(
        _l("Cancellation motive"),
        choices=lambda: (
            [("", _l("Choose a motive"))]
            + [
                (m["code"], f"{m['code']} — {m['name']}")
                for m in catalogs.entries("cancellation_motives")
            ]
        ),
        validators=[DataRequired(_l("Choose a motive."))],
    )

    def validate_motive(self, field: Field) -> None:
        if field.data == SUBSTITUTED:
            raise ValidationError(
                _l(
                    "Motive 01 needs the invoice that replaces each one: cancel those one at a "
                    "time, from each invoice's page."
                )
            )

    def params(self) -> dict[str, Any]:
        return super().params() | {"motive": self.motive.data}
