"""The base of every form: text a database cannot store is refused on its field.

PostgreSQL refuses a NUL byte in any text (``psycopg.DataError``) where SQLite stores it, so
a NUL typed into any field would be a 500 in production only. Every text-like field of a
:class:`BackofficeForm` gets :class:`NoControlCharacters` first: the message lands next to
the field, the value is kept without the offending characters, and the view never sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import Choice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.widgets import Select as WTFormsSelect
from wtforms.widgets import core as wtforms_widgets_core
from wtforms.widgets.core import clean_key

from webapp.i18n import WTFORMS_TRANSLATIONS, WTFormsTranslations
from webapp.i18n import lazy_gettext as _l

# C0 controls but tab, line feed and carriage return; DEL
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# the database's integer ids (PostgreSQL integer): anything larger cannot name a row
MAX_ID = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(text: str | None) -> int | None:
    """A row id typed into a URL (``?staff=``, ``?before=``), or None when it cannot be one
    (``str.isdigit`` also accepts ``²³``, and PostgreSQL refuses ints past 2**31 - 1)."""
    if not text or not ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def has_forbidden(value: Any) -> bool:
    return isinstance(value, str) and bool(FORBIDDEN.search(value))


def without_forbidden(value: str) -> str:
    return FORBIDDEN.sub("", value)


class NoControlCharacters:
    """Stops validation of a field holding control characters (NUL first of all)."""

    field_flags: dict = {}

    def __call__(self, form: Any, field: Field) -> None:
        if has_forbidden(field.data):
            field.data = without_forbidden(field.data)
            raise StopValidation(_l("Contains a character that is not allowed here."))


def select_choices(choices: Any) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms' ``SelectChoice`` (tuples are deprecated since
    WTForms 3.3): forms declare their options as pairs, the base form hands WTForms these."""
    return [c if isinstance(c, SelectChoice) else SelectChoice(*c) for c in choices]


class DeclaredChoices(tuple):
    """A select's options as its form class declares them: fixed for the life of the process,
    so their markup can be kept (:class:`Select`)."""

    __slots__ = ()


def html_params(**kwargs: Any) -> Markup:
    """WTForms' ``html_params``, the same markup without a ``Markup.format`` per attribute
    (which was most of the CPU of rendering a form): installed by :func:`install_widgets`."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            params.append(f'{escape(key)}="{escape(value)}"')
    return Markup(" ".join(params))


# WTForms' own, kept: the tests hold the two to the same output
WTFORMS_HTML_PARAMS = wtforms_widgets_core.html_params


def install_widgets() -> None:
    """Every WTForms widget writes its attributes with :func:`html_params` (one process-wide
    switch: most widgets look the function up in these two modules when they render, inputs
    and buttons keep it as a class attribute)."""
    wtforms_widgets.html_params = html_params
    wtforms_widgets_core.html_params = html_params
    for widget in (wtforms_widgets_core.Input, wtforms_widgets_core.Button):
        widget.html_params = staticmethod(html_params)


OPTIONS_KEPT = 4096  # rendered option lists kept per process (options × languages × value)


class Select(WTFormsSelect):
    """WTForms' select, its plain options written directly (the same markup): through
    ``html_params`` per option, a form of catalogue selects cost more than the rest of its
    page (settings: 24 selects, 100 options). The options of a select whose form declares
    them (:class:`DeclaredChoices`) are written once per language and chosen value and kept:
    they are the same on every page that shows them."""

    def __init__(self, multiple: bool = False) -> None:
        super().__init__(multiple)
        self._options: dict[tuple, tuple[DeclaredChoices, str]] = {}

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        choices = field.choices
        if (
            self.multiple
            or type(choices) is not DeclaredChoices
            or type(field).iter_choices is not SelectField.iter_choices
            or not _hashable(field.data)
        ):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = field.flags
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name):
                kwargs[name] = getattr(flags, name)
        return (
            Markup(f"<select {html_params(name=field.name, **kwargs)}>")
            + self._markup(field, choices)
            + Markup("</select>")
        )

    def _markup(self, field: Field, choices: DeclaredChoices) -> Markup:
        # the entry holds the choices themselves: their id cannot be reused while it is kept
        key = (id(choices), str(get_locale()), field.coerce, field.data)
        kept = self._options.get(key)
        if kept is None or kept[0] is not choices:
            if len(self._options) >= OPTIONS_KEPT:
                self._options.clear()
            render = type(self)._dispatch_render_option()
            if field.has_groups():
                markup = "".join(_grouped(field, render))
            else:
                markup = "".join(render(choice) for choice in field._iter_choices_normalized())
            kept = self._options[key] = (choices, markup)
        return Markup(kept[1])

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')

    @classmethod
    def _dispatch_render_option(cls) -> Any:
        # WTForms inspects the signature on every render to support the pre-3.3 one
        return cls.render_option


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _grouped(field: Field, render: Callable[[Choice], str]) -> Iterator[str]:
    """Options in their ``<optgroup>``s, as WTForms writes them."""
    for optgroup, choices in field._iter_groups_normalized():
        if optgroup is not None:
            yield f"<optgroup {html_params(label=optgroup)}>"
        yield from (render(choice) for choice in choices)
        if optgroup is not None:
            yield "</optgroup>"


SELECT = Select()


class BackofficeForm(FlaskForm):
    """FlaskForm (CSRF) whose every text-like field refuses control characters first, and
    whose select options declared as pairs become ``SelectChoice``."""

    class Meta:
        def get_translations(self, form: Any) -> WTFormsTranslations:
            return WTFORMS_TRANSLATIONS

        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            choices = unbound_field.kwargs.get("choices")
            if isinstance(choices, list | tuple) and type(choices) is not DeclaredChoices:
                # once per declared field: the class keeps the converted options
                choices = unbound_field.kwargs["choices"] = DeclaredChoices(select_choices(choices))
            if unbound_field.field_class is SelectField:
                unbound_field.kwargs.setdefault("widget", SELECT)
            field = unbound_field.bind(form=form, **options)
            if type(choices) is DeclaredChoices:  # WTForms copies them into a list per form
                field.choices = choices
            # a new list on this instance: the class's validators stay as declared
            field.validators = [NoControlCharacters(), *field.validators]
            return field


# the largest amount, quantity or rate a form takes: far above any sale, far below where a
# float (and the JSON gigstack reads) stops being exact
MAX_NUMBER = Decimal(10) ** 12


class FiniteDecimalField(DecimalField):
    """A number typed into a form, and only a number a sale can hold: ``Decimal`` also
    reads ``NaN``, ``Infinity`` and ``1e309`` (∞ once it becomes a float), which would crash
    the arithmetic or reach gigstack as ``Infinity``. Those are a message on the field, and
    what was typed stays in the box."""

    def __init__(self, *args: Any, places: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, places=places, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Type a number.")) from None
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(_l("Type a number."))
        if self.data is not None and abs(self.data) > MAX_NUMBER:
            self.data = None
            raise ValueError(_l("Type a number no larger than 1,000,000,000,000."))


# the days a date filter or field takes: gigstack's timestamps start in 1970, and a day past
# 9999-12-31 does not exist (its end would overflow)
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


class DayInRange:
    """A day between :data:`FIRST_DAY` and :data:`LAST_DAY` (refused on the field)."""

    field_flags: dict = {}

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise ValidationError(_l("Type a date between 1970 and 2999."))


def date_field(label: Any, **options: Any) -> DateField:
    """An optional day (a list filter's, a form's): a date of the calendar gigstack can
    store, else a message on the field."""
    validators = [Optional(), DayInRange(), *options.pop("validators", [])]
    return DateField(label, validators=validators, **options)


# shape only: internal domains (e.g. .local) are fine, deliverability is not our concern
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+$"


def email_field(
    label: Any, required: Any = None, invalid: Any = None, **options: Any
) -> EmailField:
    """An e-mail address: stripped, of e-mail shape, ≤ 254; required when ``required`` says
    what to type."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required) if required else Optional(),
            Regexp(EMAIL_SHAPE, message=invalid or _l("Type a valid e-mail address.")),
            Length(max=254),
        ],
        **options,
    )


def sent_fields(form: Any, before: dict[str, Any] | None) -> Callable[[str], bool]:
    """Which fields a payload carries: on a create (``before`` None) the ones filled in, on an
    update the ones that differ from ``before`` (the stored object as the form's data)."""

    def sent(name: str) -> bool:
        value = getattr(form, name).data or ""
        return value != before.get(name, "") if before is not None else bool(value)

    return sent


def strip(value: Any) -> Any:
    """The filter of typed text: no spaces around it."""
    return value.strip() if isinstance(value, str) else value


def required_text(label: Any, required: Any, max_length: int, **options: Any) -> StringField:
    """Text a form cannot go without: stripped, ``required`` says so when it is missing."""
    return StringField(
        label,
        filters=[strip],
        validators=[DataRequired(required), Length(max=max_length)],
        **options,
    )


class FilterForm(BackofficeForm):
    """A list's filters: read from the URL of a GET (no CSRF token to carry)."""

    ORDERING = frozenset({"sort"})  # fields that order the list rather than narrow it

    class Meta:
        csrf = False

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the list: its empty row then says nothing matched
        (the table macro's ``no_match``), not that there is nothing yet (``empty``)."""
        return any(
            field.data not in (None, "", field.default) and not field.errors
            for name, field in self._fields.items()
            if name not in self.ORDERING
        )


# options most list filters and sorts offer
ANY = ("", _l("Any"))
NEWEST_FIRST = ("-created", _l("Newest first"))
OLDEST_FIRST = ("created", _l("Oldest first"))


def name_sort(a_to_z: Any, z_to_a: Any) -> Any:
    """A list's sort: newest or oldest first, or by name (``a_to_z`` / ``z_to_a`` say whose)."""
    return choice_filter(
        _l("Sort by"),
        NEWEST_FIRST,
        OLDEST_FIRST,
        ("name", a_to_z),
        ("-name", z_to_a),
        default="-created",
    )


class ChoiceFilter(SelectField):
    """A list filter's select whose value is always one of its options: one typed into the
    URL that is none of them is the default (ignored, not an error, and never sent on to
    gigstack, which would refuse it)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data not in {choice.value for choice in self.iter_choices()}:
            self.data = self.default


def choice_filter(label: Any, *options: tuple[str, Any], default: str | None = None) -> Any:
    """A list filter's select of ``(value, label)`` options (:class:`ChoiceFilter`)."""
    return ChoiceFilter(
        label, validate_choice=False, default=default, choices=list(options), widget=SELECT
    )


class MultiCheckbox(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RowForm(BackofficeForm):
    """One row of a form's list (``FieldList(FormField(…))``): the same rules and messages,
    in the staff member's language, as the form around it, which carries the CSRF token."""

    class Meta:
        csrf = False


class CreateForm(BackofficeForm):
    """A form that makes something in gigstack: its one-time token (``once``) sends it once."""

    once = HiddenField()


def reason_field(required: Any, label: Any = None) -> Any:
    """The "why" every destructive action asks for (kept in the audit log): required, ≤ 500."""
    return TextAreaField(
        label or _l("Reason"), filters=[strip], validators=[DataRequired(required), Length(max=500)]
    )


def reason_form(required: Any, label: Any = None, **fields: Any) -> type[BackofficeForm]:
    """A confirmation form for a delete, cancel or other verb: a reason (``required`` is the
    message when it is missing) plus the verb's own ``fields``."""
    return type(
        "ReasonForm", (BackofficeForm,), {"reason": reason_field(required, label), **fields}
    )
