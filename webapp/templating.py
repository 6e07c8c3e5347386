"""The templates' environment: Flask's, with ``row.field`` on gigstack's dicts looked up as a
key straight away.

Jinja tries ``getattr(row, "field")`` first and only then ``row["field"]``: on a plain dict
that first try always fails, raising an ``AttributeError`` for every field of every row (a
twentieth of the workers' CPU under load). For names a dict does not have as attributes the
outcome is the same, so they go to the key at once; names of dict methods (``items``,
``get``…) keep Jinja's order, so ``metadata.items()`` is the method even when the data has a
key called ``items``.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from types import FunctionType
from typing import Any

from flask.templating import Environment
from jinja2.runtime import Context, Macro

DICT_ATTRIBUTES = frozenset(dir(dict))


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's, as Jinja layers them, whose ``keys()`` is
    a set made in C: every ``{% from … import %}`` subtracts them from the page's globals,
    which on a ChainMap's view asks each of ~40 names through Python (~0.4 ms a page)."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)


class DictFieldsFirst:
    """The shortcut, for any Jinja environment class (the tests use a bare one)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class TemplateContext(Context):
    """Jinja's context, whose ``call`` (every ``f(…)`` a template writes: each macro, each
    ``_()``, each link of each row) goes straight to a plain function or macro.

    Jinja asks every callee, twice through ``hasattr``, whether it wants the context or the
    environment passed in (``pass_context``): a failed lookup, an exception raised and
    caught, for every call of every row (a tenth of a list's rendering). A plain function
    says so in its own ``__dict__``, a macro never wants it; anything else takes Jinja's way.
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's)
        kind = type(__obj)
        if not (kind is Macro or (kind is FunctionType and "jinja_pass_arg" not in __obj.__dict__)):
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # what Jinja adds for pass_context callees only
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class TemplateEnvironment(DictFieldsFirst, Environment):
    """Flask's environment with the shortcut, the fast globals and the fast calls (set as
    ``app.jinja_environment``)."""

    context_class = TemplateContext

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d or {}, self.globals)
