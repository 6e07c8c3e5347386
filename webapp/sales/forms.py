"""The sale forms' shared fields: one items-editor row, and the base every sale form grows
from (gigstack's idempotency key, the client, the items, the currency)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from wtforms import FieldList, FormField, HiddenField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from webapp.forms import (
    BackofficeForm,
    FilterForm,
    FiniteDecimalField,
    RowForm,
    date_field,
    has_forbidden,
    strip,
)
from webapp.gigstack import new_idempotency_key
from webapp.i18n import lazy_gettext as _l
from webapp.services.taxes import iva_choices, withholding_choices

CURRENCIES = ("MXN", "USD", "EUR")
MAX_ITEMS = 50
SEARCH_TEXT = 80  # what a SAT key picker reads of its input (webapp.catalogs.sat)


class ItemForm(RowForm):
    service = SelectField(_l("From a service"), choices=[], validate_choice=False)
    applied = HiddenField()  # the service whose values the row shows (refilled on a new pick)
    description = StringField(_l("Description"), validators=[Length(max=1000)])
    quantity = FiniteDecimalField(_l("Quantity"), default=Decimal(1), validators=[Optional()])
    unit_price = FiniteDecimalField(_l("Unit price"), validators=[Optional()])
    # the picker's search text until a key is chosen (item_problems checks the key): no
    # maxlength of a key, which cut "consultoria" to "consulto"
    product_key = StringField(_l("Product key"), validators=[Length(max=SEARCH_TEXT)])
    unit_key = StringField(_l("Unit key"), validators=[Length(max=SEARCH_TEXT)])
    # a tax the row does not offer is refused on its field (taxes_from_choices ignores it)
    iva = SelectField(_l("IVA"), choices=iva_choices, default="0.16")
    iva_withheld = SelectField(
        _l("IVA withheld"), choices=lambda: withholding_choices("IVA"), default=""
    )
    isr_withheld = SelectField(
        _l("ISR withheld"), choices=lambda: withholding_choices("ISR"), default=""
    )


class SaleFilterForm(FilterForm):
    """A sale list's filters (all in the URL): the client and the days it was created in
    (:func:`webapp.sales.lists.created_between`)."""

    client_id = StringField(_l("Client id"), filters=[strip], validators=[Length(max=64)])
    date_from = date_field(_l("From"))
    date_to = date_field(_l("To"))


# gigstack keeps an idempotency key of at most this many characters (REFERENCE §1.12)
MAX_IDEMPOTENCY_KEY = 255


class IdempotencyKeyField(HiddenField):
    """gigstack's idempotency key, made when the form is opened and sent back by the
    browser; one gigstack would refuse (blank, too long, a control character) is replaced by a
    fresh one: it is not a key this back office ever made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, default=new_idempotency_key, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        key = self.data or ""
        if not key or len(key) > MAX_IDEMPOTENCY_KEY or has_forbidden(key):
            self.data = new_idempotency_key()


class SaleForm(BackofficeForm):
    """What every sale form has: the key gigstack keeps it sent once by (made when the form
    is opened), the client, the items and the currency."""

    idempotency_key = IdempotencyKeyField()
    client_id = StringField(_l("Client"), validators=[Length(max=64)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=MAX_ITEMS)
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES], default="MXN")
    exchange_rate = FiniteDecimalField(
        _l("Exchange rate"),
        validators=[Optional(), NumberRange(min=Decimal("0.000001"), message=_l("More than 0."))],
    )


def listed(text: str | None, separators: str = ",") -> list[str]:
    """The items of a list typed in one box (addresses, UUIDs), each once, in order."""
    parts = (part.strip() for part in re.split(separators, text or ""))
    return list(dict.fromkeys(part for part in parts if part))
