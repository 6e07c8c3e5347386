"""``row.field`` in a template finds what Jinja's own lookup finds, only sooner."""

from __future__ import annotations

import pytest
from jinja2 import Environment, StrictUndefined, Undefined

from webapp.templating import DictFieldsFirst, TemplateEnvironment

TEMPLATES = [
    "{{ row.uuid }}",
    "{{ row.missing is defined }}",
    "{{ row.items is callable }}",
    "{{ row.get('uuid') }}",
    "{% for k, v in row.items()|sort %}{{ k }}={{ v }};{% endfor %}",
    "{{ (row.client or {}).legal_name }}",
    "{{ row.nested.deep }}",
    "{{ row.keys()|list|length }}",
    "{{ text.upper() }}",
    "{{ number.real }}",
]


class Fast(DictFieldsFirst, Environment):
    """The shortcut on a bare Jinja environment (Flask's needs an app)."""


def test_the_app_uses_it():
    assert issubclass(TemplateEnvironment, DictFieldsFirst)


class Row(dict):
    """A dict subclass keeps Jinja's own order (attributes first)."""

    uuid = "attribute"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(
    "row",
    [
        {"uuid": "abc", "items": "a key named items", "get": 1, "nested": {"deep": 2}},
        {"uuid": None, "client": {"legal_name": "ACME"}},
        {},
        Row(uuid="key", items=3),
    ],
)
def test_lookups_agree_with_jinja(template, row):
    values = {"row": row, "text": "x", "number": 5}
    plain = Environment(autoescape=True)
    fast = Fast(autoescape=True)
    assert outcome(fast, template, values) == outcome(plain, template, values)


def outcome(environment: Environment, template: str, values: dict) -> tuple:
    """What rendering gives: the text, or the error and its message."""
    try:
        return ("ok", environment.from_string(template).render(values))
    except Exception as error:  # the same failure is part of agreeing
        return ("error", type(error).__name__, str(error))


def test_a_missing_field_is_undefined_as_before():
    for undefined in (Undefined, StrictUndefined):
        fast = Fast(undefined=undefined)
        found = fast.getattr({"a": 1}, "b")
        assert isinstance(found, undefined)
