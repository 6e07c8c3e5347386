"""Template filters: dates in America/Mexico_City, money as MXN in es-MX style."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

MEXICO_CITY = ZoneInfo("America/Mexico_City")
CENT = Decimal("0.01")


def local_datetime(value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """An aware datetime shown in Mexico City time; empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value / 1000 if value > 10**12 else value, MEXICO_CITY)
    if not isinstance(value, datetime):
        return str(value)
    return value.astimezone(MEXICO_CITY).strftime(fmt)


def local_date(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")  # a calendar day already (no time zone to apply)
    return local_datetime(value, "%d/%m/%Y")


# past this many digits an amount is shown as it came (no real amount is that large)
MONEY_DIGITS = 30
# rounding to the cent with room for those digits: one context for every call (a list shows
# dozens of amounts; entering a local context per amount cost more than the rounding)
MONEY_CONTEXT = Context(prec=MONEY_DIGITS + 3, rounding=ROUND_HALF_UP)


def money(value: Any, currency: str = "MXN") -> str:
    """``$1,234.50 MXN`` — es-MX uses a comma for thousands and a point for decimals.

    Never raises: what is not a finite amount of a sane size (a typed ``aaaa``, ``NaN``,
    ``1e309`` gigstack once stored) is shown as it came, for the page to escape."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite() or amount.adjusted() >= MONEY_DIGITS:
        return str(value)
    amount = amount.quantize(CENT, context=MONEY_CONTEXT)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f} {currency}"


def quantity(value: Any) -> str:
    """A quantity as people write it: ``2`` for gigstack's ``2.0``, ``1.5`` stays (what is not
    a number is shown as it came)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    return f"{number.normalize():f}"


def number(value: int) -> str:
    """A count as es-MX writes it: ``10,000``."""
    return f"{value:,}"


def catalogue_label(catalogue: str, code: Any) -> str:
    """``code — name`` from a local SAT/gigstack catalogue (a dash when there is no code)."""
    from webapp import catalogs

    return catalogs.label(catalogue, str(code)) if code not in (None, "") else "—"


def register(app: Flask) -> None:
    app.add_template_global(catalogue_label)
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(money, "money")
    app.add_template_filter(quantity, "quantity")
    app.add_template_filter(number, "number")


def day_bound(day: date, end: bool = False) -> int:
    """A list filter's day as Unix seconds: its first second in Mexico City, or with ``end``
    its last (so "to 3 December" includes the whole day)."""
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min, MEXICO_CITY)
    return int(moment.timestamp()) - (1 if end else 0)
