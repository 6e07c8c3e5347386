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


# calls a template makes, each asked of Jinja's own context and of the app's
CALLS = [
    "{{ plain(1, b=2) }}",
    "{% for i in [1, 2] %}{{ plain(i, b=loop.index) }}{% endfor %}",  # Jinja adds _loop_vars
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m('a') }}{% for i in [1] %}{{ m(i) }}{% endfor %}",
    "{% for i in [1, 2] %}{{ with_context(i) }}{% endfor %}",
    "{% set n = 3 %}{{ with_context('n') }}{% for n in [4] %}{{ with_context('n') }}{% endfor %}",
    "{{ with_environment() }}",
    "{{ callable_object(5) }}",
    "{{ bound.method(6) }}",
    "{{ raises_stop() is defined }}",
]


def _call_globals() -> dict:
    from jinja2 import pass_context, pass_environment

    @pass_context
    def with_context(context, name):
        return f"ctx:{context.get(name, name)}"

    @pass_environment
    def with_environment(environment):
        return type(environment).__name__.startswith(("Environment", "Calls"))

    def raises_stop():
        raise StopIteration

    class Callable:
        def __call__(self, x):
            return f"obj:{x}"

        def method(self, x):
            return f"method:{x}"

    return {
        "plain": lambda a, b=None: f"{a}-{b}",
        "with_context": with_context,
        "with_environment": with_environment,
        "raises_stop": raises_stop,
        "callable_object": Callable(),
        "bound": Callable(),
    }


class Calls(Environment):
    """The app's context on a bare Jinja environment."""

    context_class = TemplateEnvironment.context_class


@pytest.mark.parametrize("template", CALLS)
def test_calls_agree_with_jinja(template):
    jinja, ours = Environment(), Calls()
    jinja.globals.update(_call_globals())
    ours.globals.update(_call_globals())
    assert ours.from_string(template).render() == jinja.from_string(template).render()


def test_the_app_calls_through_its_context():
    from webapp.templating import TemplateContext

    assert TemplateEnvironment.context_class is TemplateContext
