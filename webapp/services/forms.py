"""Service forms (ServiceInput, REFERENCE §12.2) with SAT keys checked against the local
catalogue and the taxes editor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import BooleanField, Field, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from webapp.catalogs import sat
from webapp.forms import (
    MAX_NUMBER,
    CreateForm,
    FilterForm,
    FiniteDecimalField,
    reason_form,
    required_text,
    strip,
)
from webapp.i18n import lazy_gettext as _l
from webapp.teams.forms import upper

from .taxes import choices_from_taxes, iva_choices, taxes_from_choices, withholding_choices


class ServiceForm(CreateForm):
    description = required_text(_l("Description"), _l("Type the description."), 1000)
    sku = StringField(_l("SKU"), filters=[strip], validators=[Length(max=100)])
    product_key = StringField(
        _l("Product key (c_ClaveProdServ)"),
        filters=[strip],
        validators=[DataRequired(_l("Choose a product key."))],
    )
    unit_key = StringField(
        _l("Unit key (c_ClaveUnidad)"),
        filters=[upper],
        validators=[DataRequired(_l("Choose a unit key."))],
    )
    unit_name = StringField(_l("Unit name"), filters=[strip], validators=[Length(max=100)])
    unit_price = FiniteDecimalField(
        _l("Unit price (MXN)"),
        validators=[
            InputRequired(_l("Type the price (0 or more).")),
            NumberRange(min=0, max=MAX_NUMBER, message=_l("Type the price (0 or more).")),
        ],
    )
    iva = SelectField(_l("IVA"), choices=iva_choices, default="0.16")
    iva_withheld = SelectField(
        _l("IVA withheld"), choices=lambda: withholding_choices("IVA"), default=""
    )
    isr_withheld = SelectField(
        _l("ISR withheld"), choices=lambda: withholding_choices("ISR"), default=""
    )
    ieps = FiniteDecimalField(
        _l("IEPS (%)"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("From 0 to 100."))],
    )
    inclusive = BooleanField(_l("The price already includes the transferred taxes"))

    def validate_product_key(self, field: Field) -> None:
        if field.data and sat.product_key(field.data) is None:
            raise FieldError(_l("%(code)s is not a key of SAT's c_ClaveProdServ.", code=field.data))

    def validate_unit_key(self, field: Field) -> None:
        if field.data and sat.unit_key(field.data) is None:
            raise FieldError(_l("%(code)s is not a key of SAT's c_ClaveUnidad.", code=field.data))

    def taxes(self, kept: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The Tax[] the editor shows, plus the taxes it could not show (kept as they were).

        Only choices the editor offers count (the preview runs on unvalidated input too)."""
        ieps = float(self.ieps.data) if self.ieps.data and not self.ieps.errors else None
        return taxes_from_choices(
            self.iva.data or "",
            self.iva_withheld.data or "",
            self.isr_withheld.data or "",
            ieps,
            bool(self.inclusive.data),
        ) + list(kept or [])

    def payload(self, kept: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "description": self.description.data,
            "product_key": self.product_key.data,
            "unit_key": self.unit_key.data,
            "unit_price": float(self.unit_price.data),
            "taxes": self.taxes(kept),
        }
        if self.sku.data:
            body["sku"] = self.sku.data
        if self.unit_name.data:
            body["unit_name"] = self.unit_name.data
        return body


def form_data(service: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A Service as the form's data, and the taxes the editor cannot show."""
    values, others = choices_from_taxes(service.get("taxes"))
    data = {
        name: service.get(name) or ""
        for name in ("description", "sku", "product_key", "unit_key", "unit_name")
    }
    data["unit_price"] = Decimal(str(service.get("unit_price") or 0))
    data.update(values)
    if data.get("ieps") is not None:
        data["ieps"] = Decimal(str(data["ieps"]))
    return data, others


def changed(payload: dict[str, Any], service: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that differ from the stored service (taxes compared as a whole)."""
    out = {}
    for key, value in payload.items():
        before = service.get(key)
        if key == "taxes":
            strip_keys = ("type", "rate", "factor", "withholding", "inclusive")
            norm = [{k: t.get(k) for k in strip_keys} for t in value]
            old = [{k: t.get(k) for k in strip_keys} for t in before or []]
            if norm != old:
                out[key] = value
        elif (before or "") != (value or "") and before != value:
            out[key] = value
    for key in ("sku", "unit_name"):
        if key not in payload and service.get(key):
            out[key] = None  # emptied: cleared
    return out


ServiceDeleteForm = reason_form(_l("Say why the service is deleted."))


class ServiceFilterForm(FilterForm):
    q = SearchField(_l("Description, SKU or key"), filters=[strip], validators=[Length(max=100)])
