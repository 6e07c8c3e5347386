"""Client forms with CFDI 4.0's rules (REFERENCE §2, §12.1): persona física or moral from the
RFC's length, regimes that fit it, CFDI uses the regime allows, a real SAT postal code, and
the generic RFCs with their fixed regime and use. Only changed fields are sent on edit."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf.file import FileField
from wtforms import Field, HiddenField, SearchField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp
from wtforms.validators import ValidationError as FieldError

from webapp import catalogs
from webapp.domain.address import ADDRESS_FIELDS as ADDRESS_PARTS
from webapp.domain.rfc import GENERIC_RFCS, rfc_person
from webapp.forms import (
    ANY,
    BackofficeForm,
    CreateForm,
    FilterForm,
    choice_filter,
    email_field,
    name_sort,
    reason_form,
    required_text,
    sent_fields,
    strip,
)
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.sat import rules
from webapp.teams.forms import (
    FiscalAddressForm,
    address_payload,
    check_postal_code,
    check_regime,
    check_rfc,
    regime_choices,
    upper,
)

# público en general / extranjero: SAT fixes their regime and use (CFDI 4.0)
GENERIC_REGIME, GENERIC_USE = "616", "S01"
EMAILS = re.compile(r"^\s*([^@\s,]+@[^@\s,]+\s*(,\s*[^@\s,]+@[^@\s,]+\s*)*)?$")
# the address a client form edits (the municipality is not part of a client's address form)
ADDRESS_FIELDS = tuple(name for name in ADDRESS_PARTS if name != "municipality")
TOP_FIELDS = ("name", "legal_name", "company", "email", "phone", "tax_id", "tax_system", "use")


def use_choices(regime: str | None, person: str | None) -> list[tuple[str, Any]]:
    """CFDI uses SAT offers the regime (the persona type's while no regime is chosen)."""
    return [("", _l("Choose a CFDI use")), *catalogs.use_choices(regime, person)]


def client_regime_choices(rfc: str | None) -> list[tuple[str, Any]]:
    if rfc and rfc.strip().upper() in GENERIC_RFCS:
        entry = catalogs.get("tax_regimes", GENERIC_REGIME) or {"name": ""}
        return [(GENERIC_REGIME, f"{GENERIC_REGIME} — {entry['name']}")]
    return regime_choices(rfc)


class ClientForm(CreateForm, FiscalAddressForm):
    legal_name = required_text(
        _l("Legal name (as at SAT)"),
        _l("Type the legal name as the CSF shows it."),
        254,
        description=_l("Without the company type (SA DE CV): CFDI 4.0 compares it with SAT."),
    )
    name = StringField(_l("Display name"), filters=[strip], validators=[Length(max=254)])
    company = StringField(_l("Company"), filters=[strip], validators=[Length(max=254)])
    tax_id = StringField(_l("RFC"), filters=[upper], validators=[Optional(), Length(max=13)])
    tax_system = SelectField(_l("Tax regime"), choices=[], validate_choice=False)
    use = SelectField(_l("CFDI use"), choices=[], validate_choice=False)
    email = email_field(_l("E-mail"))
    bcc = StringField(
        _l("Copy to (bcc)"),
        filters=[strip],
        validators=[
            Length(max=2000),
            Regexp(EMAILS, message=_l("Type e-mail addresses separated by commas.")),
        ],
        description=_l("Several addresses separated by commas."),
    )
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40)])
    # NumRegIdTrib of a foreign client (XEXX010101000): kept where webapp.sat.rules reads it
    foreign_tax_id = StringField(
        _l("Foreign tax registration number"),
        filters=[strip],
        validators=[Length(max=rules.MAX_FOREIGN_TAX_ID)],
        description=_l(
            "Only for a foreign client (RFC XEXX010101000): its tax id in its country "
            "(NumRegIdTrib). Its country goes in the address, as a code (USA, CAN…)."
        ),
    )

    def offer_choices(self) -> None:
        """Regimes for the RFC typed; uses for the regime chosen (generic RFCs: fixed)."""
        if self.tax_id.data in GENERIC_RFCS:
            self.tax_system.data = GENERIC_REGIME
            self.use.data = self.use.data if self.use.data in ("S01", "CP01") else GENERIC_USE
        self.tax_system.choices = client_regime_choices(self.tax_id.data)
        person = None if self.generic else rfc_person(self.tax_id.data or "")
        self.use.choices = use_choices(self.tax_system.data, person)

    def drop_unfitting(self) -> None:
        """While the RFC is being typed (the fields' fragment): a regime or use that no longer
        fits is dropped, and its field says why instead of quietly showing none."""
        for field, check in (
            (self.tax_system, self.validate_tax_system),
            (self.use, self.validate_use),
        ):
            if not field.data:
                continue
            try:
                check(field)
            except FieldError as error:
                field.data, field.errors = "", [error.args[0]]
                self.offer_choices()

    @property
    def generic(self) -> bool:
        return self.tax_id.data in GENERIC_RFCS

    def validate_tax_id(self, field: Field) -> None:
        check_rfc(field.data, field.object_data)

    def validate_tax_system(self, field: Field) -> None:
        if not field.data:  # CFDI 4.0 stamps no invoice to a receiver without one
            raise FieldError(_l("Choose the tax regime (the CSF shows it)."))
        check_regime(field.data, None if self.generic else rfc_person(self.tax_id.data or ""))
        if field.data and self.generic and field.data != GENERIC_REGIME:
            raise FieldError(_l("A generic RFC always uses regime 616."))

    def validate_use(self, field: Field) -> None:
        if not field.data:
            return
        if catalogs.get("cfdi_uses", field.data) not in catalogs.current_uses():
            raise FieldError(_l("Choose a CFDI use from the list."))
        regime = self.tax_system.data
        if regime and not any(e["code"] == field.data for e in catalogs.current_uses(regime)):
            raise FieldError(
                _l(
                    "Use %(use)s is not allowed for regime %(regime)s.",
                    use=field.data,
                    regime=regime,
                )
            )

    def validate_zip(self, field: Field) -> None:
        check_postal_code(field.data)

    def _foreign_problem(self, ending: str) -> str | None:
        """A foreign client is stamped with its country and tax id, or not at all: the PAC
        rule (the API's and the pre-stamp report's, :func:`rules.receiver_problems`) on the
        field it is about, before anything is saved."""
        client = {
            "tax_id": self.tax_id.data,
            "address": {"country": self.country.data},
            "metadata": {rules.FOREIGN_TAX_ID: self.foreign_tax_id.data},
        }
        for problem in rules.receiver_problems(client):
            if problem.field.endswith(ending):
                return _(problem.message, **problem.values)
        return None

    def validate_country(self, field: Field) -> None:
        if problem := self._foreign_problem(".country"):
            raise FieldError(problem)

    def validate_foreign_tax_id(self, field: Field) -> None:
        if problem := self._foreign_problem(rules.FOREIGN_TAX_ID):
            raise FieldError(problem)


def form_data(client: dict[str, Any]) -> dict[str, Any]:
    address = client.get("address") or {}
    data = {name: client.get(name) or "" for name in TOP_FIELDS}
    data.update({name: address.get(name) or "" for name in ADDRESS_FIELDS})
    data["bcc"] = ", ".join(client.get("bcc") or [])
    data["country"] = data["country"] or "MEX"
    data["foreign_tax_id"] = (client.get("metadata") or {}).get(rules.FOREIGN_TAX_ID) or ""
    return data


# what gigstack keeps once a client has it: an update may change these, never empty them
KEPT_ONCE_SET = ("name", "legal_name", "tax_id", "tax_system", "use")


def emptied(form: ClientForm, original: dict[str, Any]) -> bool:
    """A message on each field the edit emptied that gigstack keeps once set (it would refuse
    the update); True when there is one."""
    found = False
    for name in KEPT_ONCE_SET:
        field = getattr(form, name)
        if original.get(name) and not field.data:
            field.errors = [*field.errors, _l("gigstack keeps this once it is set: choose one.")]
            found = True
    return found


def client_payload(form: ClientForm, original: dict[str, Any] | None = None) -> dict[str, Any]:
    """ClientInput (``original`` None) or the partial update of what changed (``null`` clears)."""
    changed = sent_fields(form, form_data(original) if original is not None else None)
    payload: dict[str, Any] = {
        name: getattr(form, name).data or None for name in TOP_FIELDS if changed(name)
    }
    if changed("bcc"):
        payload["bcc"] = [part.strip() for part in (form.bcc.data or "").split(",") if part.strip()]
    if changed("foreign_tax_id"):  # the client's other metadata kept
        kept = dict((original or {}).get("metadata") or {})
        payload["metadata"] = {**kept, rules.FOREIGN_TAX_ID: form.foreign_tax_id.data or None}
    address = address_payload(form, ADDRESS_FIELDS, changed)
    if address:
        payload["address"] = address
    if original is None and not payload.get("name"):
        payload["name"] = form.legal_name.data
    return payload


ClientDeleteForm = reason_form(_l("Say why the client is deleted."))


class CsfForm(BackofficeForm):
    """The CSF PDF to read (nothing is sent to gigstack before the preview is confirmed)."""

    file = FileField(_l("Constancia de Situación Fiscal (PDF)"))

    def validate_file(self, field) -> None:
        if not field.data:
            raise FieldError(_l("Choose the CSF PDF."))


class ConfirmForm(BackofficeForm):
    """The confirmation of a CSF preview: the token its PDF waits under."""

    token = HiddenField()


class ClientFilterForm(FilterForm):
    q = SearchField(
        _l("Name, legal name, RFC or e-mail"), filters=[strip], validators=[Length(max=200)]
    )
    validity = choice_filter(
        _l("SAT check"), ANY, ("valid", _l("Valid")), ("invalid", _l("Invalid"))
    )
    efos = choice_filter(
        _l("EFOS list"), ANY, ("listed", _l("On the EFOS list")), ("clear", _l("Not listed"))
    )
    persona = choice_filter(
        _l("Persona"), ANY, ("moral", _l("Persona moral")), ("fisica", _l("Persona física"))
    )
    sort = name_sort(_l("Name (A–Z)"), _l("Name (Z–A)"))
