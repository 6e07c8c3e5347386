"""Team forms: create and edit (TeamCreateInput / TeamUpdateInput), delete, directory filters;
the settings form, the CSD upload, series and members.

Regime choices follow the persona type the RFC implies (12 characters moral, 13 física); the
catalogue is local data. :func:`team_payload` sends only what changed on edit (REFERENCE
§1.13: PUT is partial, ``null`` clears, ``brand.alias`` / ``address.country`` ride along
whenever their group is sent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from webapp import catalogs, labels
from webapp.catalogs import sat
from webapp.domain.address import ADDRESS_FIELDS
from webapp.domain.rfc import rfc_person, rfc_problem
from webapp.forms import (
    EMAIL_SHAPE,
    NEWEST_FIRST,
    OLDEST_FIRST,
    BackofficeForm,
    CreateForm,
    FilterForm,
    choice_filter,
    reason_form,
    required_text,
    select_choices,
    sent_fields,
    strip,
)
from webapp.i18n import lazy_gettext as _l

from .setting_groups import EMAILS, SETTINGS, UNSET, YES_NO, Setting

ZIP = re.compile(r"^[0-9]{5}$")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
BRAND_FIELDS = ("alias", "primary_color", "secondary_color")
TOP_FIELDS = ("legal_name", "tax_id", "tax_system", "support_email", "support_phone")


def upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


RFC_SHAPE_MESSAGE = _l(
    "An RFC has 12 characters (persona moral) or 13 (persona física): "
    "letters, 6 digits of date, 3 characters."
)
RFC_MESSAGES = {
    "shape": RFC_SHAPE_MESSAGE,
    "date": _l(
        "The RFC's 6 digits are not a real date (YYMMDD: year, month, day). "
        "Compare it with the CSF."
    ),
    "check_digit": _l(
        "The RFC's last character is not SAT's check digit: a character was probably mistyped. "
        "Compare it with the CSF."
    ),
}


def check_rfc(rfc: str | None, kept: str | None = None) -> None:
    """A typed RFC must be one SAT could have issued (:func:`rfc_problem`). The RFC the object
    already has (``kept``) is judged by its shape only: a save that does not touch it never
    stops on it (a few real RFCs lack SAT's check digit, and gigstack holds them)."""
    if not rfc:
        return
    problem = rfc_problem(rfc)
    if problem == "shape" or (problem and rfc != kept):
        raise ValidationError(RFC_MESSAGES[problem])


def check_postal_code(code: str | None) -> None:
    """Five digits (checked by the field's pattern) must also be a SAT postal code."""
    if code and ZIP.match(code) and sat.postal_code(code) is None:
        raise ValidationError(_l("%(code)s is not a postal code in SAT's catalogue.", code=code))


def check_regime(code: str | None, person: str | None) -> None:
    """A regime of the catalogue that fits the persona type (any while it is unknown)."""
    if not code:
        return
    entry = catalogs.get("tax_regimes", code)
    if entry is None:
        raise ValidationError(_l("Choose a regime from the list."))
    if person and not entry.get(person):
        raise ValidationError(
            _l("Regime %(code)s is not for a persona moral.", code=code)
            if person == "moral"
            else _l("Regime %(code)s is not for a persona física.", code=code)
        )


def regime_choices(rfc: str | None) -> list[tuple[str, str]]:
    """Regimes that fit the RFC's persona type (all of them while the RFC is unknown)."""
    person = rfc_person(upper(rfc or "")) if rfc else None
    entries = [e for e in catalogs.entries("tax_regimes") if person is None or e.get(person)]
    return [("", _l("Choose a regime"))] + [
        (e["code"], f"{e['code']} — {e['name']}") for e in entries
    ]


class FiscalAddressForm(BackofficeForm):
    """The fiscal address as teams and clients both write it (the postal code is SAT's)."""

    zip = StringField(
        _l("Fiscal postal code"),
        filters=[strip],
        validators=[Optional(), Regexp(ZIP, message=_l("The postal code has 5 digits."))],
    )
    street = StringField(_l("Street"), filters=[strip], validators=[Length(max=200)])
    exterior = StringField(_l("Exterior number"), filters=[strip], validators=[Length(max=40)])
    interior = StringField(_l("Interior number"), filters=[strip], validators=[Length(max=40)])
    neighborhood = StringField(
        _l("Neighbourhood (colonia)"), filters=[strip], validators=[Length(max=120)]
    )
    city = StringField(_l("City"), filters=[strip], validators=[Length(max=120)])
    state = StringField(_l("State"), filters=[strip], validators=[Length(max=120)])
    country = StringField(
        _l("Country"), filters=[upper], default="MEX", validators=[Length(max=60)]
    )


def address_payload(
    form: FiscalAddressForm, names: tuple[str, ...], sent: Callable[[str], bool]
) -> dict[str, Any] | None:
    """The address parts ``sent`` picks among ``names`` (emptied ones as ``null``), with the
    country (Mexico unless typed); None when no part is sent."""
    address = {name: getattr(form, name).data or None for name in names if sent(name)}
    return {**address, "country": form.country.data or "MEX"} if address else None


class TeamForm(CreateForm, FiscalAddressForm):
    """The fields shared by create and edit, grouped as the API groups them."""

    alias = StringField(_l("Display name (alias)"), filters=[strip], validators=[Length(max=120)])
    legal_name = StringField(
        _l("Legal name (razón social)"),
        filters=[strip],
        validators=[Length(max=254)],
        description=_l("As registered at SAT, without the company type (SA DE CV)."),
    )
    tax_id = StringField(_l("RFC"), filters=[upper], validators=[Optional(), Length(max=13)])
    tax_system = SelectField(_l("Tax regime"), choices=[], validate_choice=False)
    municipality = StringField(_l("Municipality"), filters=[strip], validators=[Length(max=120)])
    support_email = EmailField(
        _l("Support e-mail"),
        filters=[strip],
        validators=[Optional(), Regexp(EMAIL_SHAPE, message=_l("Type a valid e-mail address."))],
    )
    support_phone = StringField(_l("Support phone"), filters=[strip], validators=[Length(max=40)])
    primary_color = StringField(
        _l("Primary colour"),
        filters=[strip],
        validators=[Optional(), Regexp(COLOR, message=_l("A colour is written #RRGGBB."))],
    )
    secondary_color = StringField(
        _l("Secondary colour"),
        filters=[strip],
        validators=[Optional(), Regexp(COLOR, message=_l("A colour is written #RRGGBB."))],
    )
    generate_onboarding_url = BooleanField(_l("Generate an onboarding link (Connect)"))

    def offer_regimes(self) -> None:
        self.tax_system.choices = regime_choices(self.tax_id.data)

    def validate_alias(self, field: Field) -> None:
        if not field.data and not self.legal_name.data:
            raise ValidationError(_l("Type a display name or a legal name."))

    def validate_zip(self, field: Field) -> None:
        check_postal_code(field.data)

    def validate_tax_id(self, field: Field) -> None:
        check_rfc(field.data, field.object_data)

    def validate_tax_system(self, field: Field) -> None:
        check_regime(field.data, rfc_person(self.tax_id.data or ""))


class TeamCreateForm(TeamForm):
    add_master_team_members = BooleanField(_l("Add the members of the key's own team"))
    # the RFC the operator confirmed creating a second team for (ticked on the warning)
    same_rfc = StringField(filters=[upper], validators=[Length(max=13)])

    def confirmed_same_rfc(self) -> bool:
        return bool(self.tax_id.data) and self.same_rfc.data == self.tax_id.data


class TeamEditForm(TeamForm):
    pass


def form_data(team: dict[str, Any]) -> dict[str, Any]:
    """A Team object as the form's initial data."""
    brand = team.get("brand") or {}
    address = team.get("address") or {}
    data = {name: team.get(name) or "" for name in TOP_FIELDS}
    data.update({name: brand.get(name) or "" for name in BRAND_FIELDS})
    data.update({name: address.get(name) or "" for name in ADDRESS_FIELDS})
    data["country"] = data["country"] or "MEX"
    return data


def team_payload(form: TeamForm, original: dict[str, Any] | None = None) -> dict[str, Any]:
    """The TeamCreateInput (``original`` None) or the partial TeamUpdateInput of what changed;
    an emptied field is sent as ``null`` (cleared)."""
    changed = sent_fields(form, form_data(original) if original is not None else None)

    def value(name: str) -> Any:
        return getattr(form, name).data or None

    payload: dict[str, Any] = {name: value(name) for name in TOP_FIELDS if changed(name)}
    brand = {name: value(name) for name in BRAND_FIELDS if changed(name)}
    if brand:
        payload["brand"] = {**brand, "alias": value("alias") or value("legal_name")}
    address = address_payload(form, ADDRESS_FIELDS, changed)
    if address:
        payload["address"] = address
    if form.generate_onboarding_url.data:
        payload["generate_onboarding_url"] = True
    if isinstance(form, TeamCreateForm) and form.add_master_team_members.data:
        payload["add_master_team_members"] = True
    return payload


TeamDeleteForm = reason_form(
    _l("Say why the team is deleted."),
    confirm_rfc=StringField(
        _l("Type the team's RFC to confirm"),
        filters=[upper],
        validators=[DataRequired(_l("Type the RFC."))],
    ),
)


class DirectoryFilterForm(FilterForm):
    q = SearchField(_l("Name, RFC or id"), filters=[strip], validators=[Length(max=100)])
    sort = choice_filter(
        _l("Sort by"),
        ("name", _l("Name")),
        ("rfc", "RFC"),
        NEWEST_FIRST,
        OLDEST_FIRST,
        ("csd", _l("CSD expiry (soonest first)")),
        default="name",
    )


def _setting_field(setting: Setting):
    name = setting.field_name
    if setting.kind == "bool":
        return SelectField(setting.label, name=name, choices=YES_NO)
    if setting.kind == "int":
        top = 31 if setting.path == "eom_ppd_threshold_days" else 10_000
        return IntegerField(
            setting.label,
            name=name,
            validators=[
                Optional(),
                NumberRange(min=0, max=top, message=_l("From 0 to %(top)s.", top=top)),
            ],
        )
    if setting.kind in ("choice", "series"):
        if setting.kind == "series":
            options = []  # the team's own series: set on each form (settings_form)
        elif setting.choices == ("cfdi_uses",):
            options = catalogs.use_choices()
        else:
            options = list(setting.choices)
        return SelectField(
            setting.label,
            name=name,
            choices=[(UNSET, _l("Not set (gigstack's default)")), *options],
        )
    if setting.kind == "emails":
        return StringField(
            setting.label,
            name=name,
            filters=[strip],
            description=_l("Several addresses separated by commas."),
            validators=[
                Length(max=2000),
                Regexp(EMAILS, message=_l("Type e-mail addresses separated by commas.")),
            ],
        )
    validators = [Length(max=2000)]
    if setting.path == "product_key":
        validators.append(Regexp(r"^([0-9]{8})?$", message=_l("A product key has 8 digits.")))
    return StringField(setting.label, name=name, filters=[strip], validators=validators)


@cache
def _settings_form_class() -> type[BackofficeForm]:
    """Built once: a class per request re-declared 30 fields and their options every time."""
    attrs = {setting.attr: _setting_field(setting) for setting in SETTINGS}
    return type("TeamSettingsForm", (BackofficeForm,), attrs)


def settings_form(series_names: list[str], data: dict[str, Any], formdata: Any = None):
    """The settings form filled with ``data``, the series selects offering the team's own."""
    form_class = _settings_form_class()
    form = form_class(data=data) if formdata is None else form_class(formdata=formdata, data=data)
    for setting in SETTINGS:
        if setting.kind == "series":
            field = form[setting.attr]
            field.choices = [field.choices[0], *select_choices((s, s) for s in series_names)]
    return form


class CsdForm(BackofficeForm):
    """Files are never shown back (a browser cannot pre-fill them), nor is the password."""

    certificate = FileField(_l("Certificate (.cer)"))
    private_key = FileField(_l("Private key (.key)"))
    password = PasswordField(_l("Private key password"))

    def validate_certificate(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the certificate file (.cer)."))

    def validate_private_key(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the private key file (.key)."))

    def validate_password(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Type the password of the private key."))


MAX_FOLIO = 2_000_000_000
COUNTER_HINT = _l("The last folio issued in this mode; the next invoice gets this + 1.")


def _counter(label) -> IntegerField:
    return IntegerField(
        label,
        default=0,
        description=COUNTER_HINT,
        validators=[
            InputRequired(_l("Type a whole number (0 or more).")),
            NumberRange(min=0, max=MAX_FOLIO, message=_l("Type a whole number (0 or more).")),
        ],
    )


class SeriesForm(CreateForm):
    series = StringField(
        _l("Series"),
        filters=[lambda v: v.strip().upper() if v else v],
        validators=[
            DataRequired(_l("Type the series name.")),
            Length(max=25, message=_l("At most 25 characters.")),
            Regexp(r"^[^|]*$", message=_l("A series cannot contain |.")),
        ],
    )
    live = _counter(_l("Live counter"))
    test = _counter(_l("Test counter"))


class SeriesEditForm(BackofficeForm):
    live = _counter(_l("Live counter"))
    test = _counter(_l("Test counter"))
    reason = TextAreaField(
        _l("Reason (required when lowering a counter)"),
        filters=[strip],
        validators=[Length(max=500)],
    )

    lowered: bool = False

    def validate_reason(self, field: Field) -> None:
        if self.lowered and not field.data:
            raise ValidationError(_l("Lowering a counter may reuse folios: say why."))


def role_choices() -> list[tuple[str, str]]:
    """The roles of ``team_roles.json``, named in the page's language."""
    return [(e["code"], labels.label("role", e["code"])) for e in catalogs.entries("team_roles")]


class MemberAddForm(CreateForm):
    user = required_text(_l("User e-mail or id"), _l("Type the user's e-mail or id."), 254)
    role = SelectField(_l("Role"), choices=role_choices, default="viewer")


class MemberRoleForm(BackofficeForm):
    role = SelectField(_l("Role"), choices=role_choices)


MemberRemoveForm = reason_form(_l("Say why the member is removed."))
