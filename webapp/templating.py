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
from typing import Any

from flask.templating import Environment

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


class TemplateEnvironment(DictFieldsFirst, Environment):
    """Flask's environment with the shortcut and the fast globals (set as
    ``app.jinja_environment``)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d or {}, self.globals)
