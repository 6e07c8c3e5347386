"""Field checks shared by every route, with messages a support agent understands.

A :class:`Checker` collects problems; :meth:`Checker.raise_if_any` raises one ApiError: the
specific code when there is one problem, ``validation_failed`` listing all of them otherwise
(REFERENCE §1.7). Nothing is stored before a request passes its checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from webapp import catalogs
from webapp.catalogs import sat as sat_catalogs
from webapp.domain.rfc import GENERIC_RFCS, RFC_FISICA, RFC_MORAL, is_generic_rfc, rfc_person  # noqa: F401 (re-exported)

from .errors import ApiError

ZIP_RE = re.compile(r"^[0-9]{5}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PRODUCT_KEY_RE = re.compile(r"^[0-9]{8}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

# The largest amount, price or quantity accepted. SAT's CFDI schema allows amounts of 18
# integer digits (t_Importe); a real invoice or payment never comes near 10^15 MXN, and
# beyond ~10^26 the money arithmetic (Decimal at 28 digits) fails, so refuse far before that.
# Inferred: the real service's bound is not documented; change it here.
MAX_NUMBER = 1e15


class Checker:
    """Collects ``{field, message}`` problems and raises them together."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.problems: list[tuple[str, str, str]] = []  # (code, field, message)

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def add(self, name: str, message: str, code: str = "invalid_field_value") -> None:
        self.problems.append((code, self.path(name), message))

    def missing(self, name: str) -> None:
        """``name`` is required and was not sent."""
        self.add(name, "is required", "missing_required_field")

    def given(self, value: Any, name: str, required: bool = False) -> bool:
        """Whether ``value`` was sent (is not None); reported when ``required`` and not sent."""
        if value is None and required:
            self.missing(name)
        return value is not None

    def is_a(self, value: Any, kind: type, name: str, message: str) -> bool:
        """Whether ``value`` is a ``kind``; reported with ``message`` when it is not."""
        if not isinstance(value, kind):
            self.add(name, message)
            return False
        return True

    def nested(self, prefix: str) -> Checker:
        """A checker whose problems land in this one, with field paths under ``prefix``."""
        child = Checker(self.path(prefix))
        child.problems = self.problems
        return child

    def each_object(
        self, value: Any, field: str, *, list_message: str, item_message: str
    ) -> Iterator[tuple[int, dict[str, Any], Checker]]:
        """Each object of a list field with a checker nested at ``field[i]``.

        A value that is not a list, or an entry that is not an object, is reported (with the
        given messages) instead of yielded.
        """
        if not isinstance(value, list):
            self.add(field, list_message)
            return
        for index, raw in enumerate(value):
            path = f"{field}[{index}]"
            if not isinstance(raw, dict):
                self.add(path, item_message)
                continue
            yield index, raw, self.nested(path)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        details = [{"field": f, "message": m} for _, f, m in self.problems]
        if len(self.problems) == 1:
            code, field, message = self.problems[0]
            raise ApiError(code, f"{field}: {message}", details=details)
        raise ApiError("validation_failed", "Invalid request", details=details)

    # common checks: each returns the cleaned value or None --------------------------------
    def required(self, body: dict[str, Any], name: str) -> Any:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.missing(name)
            return None
        return value

    def string(
        self,
        body: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
    ) -> str | None:
        value = body.get(name)
        if not self.given(value, name, required) or not self.is_a(value, str, name, "must be text"):
            return None
        value = value.strip()
        if required and not value:
            self.missing(name)
            return None
        if max_length is not None and len(value) > max_length:
            self.add(name, f"must be at most {max_length} characters")
            return None
        return value

    def boolean(self, body: dict[str, Any], name: str) -> bool | None:
        value = body.get(name)
        if not self.given(value, name) or not self.is_a(value, bool, name, "must be true or false"):
            return None
        return value

    def number(
        self,
        body: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        minimum: float | None = None,
        exclusive_minimum: float | None = None,
    ) -> float | None:
        value = body.get(name)
        if not self.given(value, name, required):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.add(name, "must be a number")
            return None
        if abs(value) > MAX_NUMBER:
            self.add(name, f"must be at most {MAX_NUMBER:.0e} in size")
            return None
        if minimum is not None and value < minimum:
            self.add(name, f"must be >= {minimum:g}")
            return None
        if exclusive_minimum is not None and value <= exclusive_minimum:
            self.add(name, f"must be > {exclusive_minimum:g}")
            return None
        return value

    def integer(
        self,
        body: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = body.get(name)
        if not self.given(value, name, required):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON cannot tell 5.0 from 5
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, "must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.add(name, f"must be >= {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.add(name, f"must be <= {maximum}")
            return None
        return value

    def catalogue(
        self,
        body: dict[str, Any],
        name: str,
        catalogue: str,
        *,
        required: bool = False,
        what: str = "code",
    ) -> str | None:
        """A code from ``catalogs/<catalogue>.json`` (aliases accepted, canonical returned)."""
        value = self.string(body, name, required=required)
        if value is None:
            return None
        code = catalogs.canonical(catalogue, value)
        if code is None:
            self.add(name, f"'{value}' is not a valid {what}")
        return code

    def email(self, body: dict[str, Any], name: str) -> str | None:
        value = self.string(body, name)
        if value and not EMAIL_RE.match(value):
            self.add(name, f"'{value}' is not a valid e-mail address")
            return None
        return value or None

    def email_list(self, body: dict[str, Any], name: str) -> list[str] | None:
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(name, "must be a list of e-mail addresses")
            return None
        bad = [v for v in value if not EMAIL_RE.match(v.strip())]
        for index, item in enumerate(value):
            if item in bad:
                self.add(f"{name}[{index}]", f"'{item}' is not a valid e-mail address")
        return None if bad else [v.strip() for v in value]

    def rfc(self, body: dict[str, Any], name: str = "tax_id") -> str | None:
        value = self.string(body, name)
        if not value:
            return None
        value = value.upper()
        if value not in GENERIC_RFCS and rfc_person(value) is None:
            self.add(
                name, f"'{value}' is not a valid RFC (12 characters for a company, 13 for a person)"
            )
            return None
        return value

    def zip_code(self, body: dict[str, Any], name: str = "zip") -> str | None:
        value = self.string(body, name)
        if value and not ZIP_RE.match(value):
            self.add(name, f"'{value}' is not a valid postal code (5 digits)")
            return None
        if value and sat_catalogs.postal_code(value) is None:
            self.add(name, f"'{value}' is not a postal code of SAT's catalogue (c_CodigoPostal)")
            return None
        return value or None

    def object(self, body: dict[str, Any], name: str) -> dict[str, Any] | None:
        value = body.get(name)
        if not self.given(value, name) or not self.is_a(value, dict, name, "must be an object"):
            return None
        return value

    def array(
        self, body: dict[str, Any], name: str, *, required: bool = False, min_items: int = 0
    ) -> list[Any] | None:
        value = body.get(name)
        if not self.given(value, name, required) or not self.is_a(
            value, list, name, "must be a list"
        ):
            return None
        if len(value) < min_items:
            self.add(
                name,
                f"must have at least {min_items} item{'s' if min_items > 1 else ''}",
                "missing_required_field" if not value else "invalid_field_value",
            )
            return None
        return value


def enum_filter(catalogue: str, what: str, name: str = "status"):
    """A list-filter normaliser for an enum catalogue (aliases accepted; others → 400)."""

    def normalise(raw: str) -> str:
        code = catalogs.canonical(catalogue, raw)
        if code is None:
            checker = Checker()
            checker.add(name, f"'{raw}' is not a valid {what}")
            checker.raise_if_any()
        return code  # type: ignore[return-value]

    return normalise


def choice_filter(name: str, choices: Iterable[str]):
    """A list-filter normaliser for a fixed set of values."""
    allowed = tuple(choices)

    def normalise(raw: str) -> str:
        if raw not in allowed:
            checker = Checker()
            checker.add(name, f"must be one of {', '.join(allowed)}")
            checker.raise_if_any()
        return raw

    return normalise


def passthrough(raw: str) -> str:
    return raw
