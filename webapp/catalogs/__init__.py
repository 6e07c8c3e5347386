"""SAT catalogues and gigstack enums, shipped with the app.

The JSON files under ``data/`` are copies of ``shared/gigstack-api/catalogs`` (a test keeps
them identical) so the app and the sandbox work on a deployment that has no ``shared/``.
Everything here is read once and cached: catalogues never change at run time.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")

NAMES = (
    "automation_types",
    "cancellation_motives",
    "cfdi_uses",
    "invoice_relationships",
    "invoice_statuses",
    "months_bimesters",
    "payment_forms",
    "payment_methods",
    "payment_statuses",
    "periodicities",
    "receipt_statuses",
    "tax_regimes",
    "taxes",
    "team_roles",
    "webhook_events",
)


@cache
def entries(name: str) -> tuple[dict[str, Any], ...]:
    """All entries of one catalogue, in file order."""
    if name not in NAMES:
        raise KeyError(f"unknown catalogue {name!r}")
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return tuple(json.load(fh))


@cache
def by_code(name: str) -> dict[str, dict[str, Any]]:
    """Entries of one catalogue keyed by their ``code``."""
    return {entry["code"]: entry for entry in entries(name)}


def codes(name: str) -> frozenset[str]:
    """The set of valid codes of a catalogue."""
    return frozenset(by_code(name))


def get(name: str, code: str) -> dict[str, Any] | None:
    """One entry by code, or None when the code is not in the catalogue."""
    return by_code(name).get(code)


def label(name: str, code: str | None) -> str:
    """``code — name`` for display; the bare code when unknown."""
    if not code:
        return ""
    entry = get(name, code)
    return f"{code} — {entry['name']}" if entry else code


@cache
def alias_map(name: str) -> dict[str, str]:
    """Maps every accepted spelling (code and aliases) to the canonical code."""
    mapping: dict[str, str] = {}
    for entry in entries(name):
        mapping[entry["code"]] = entry["code"]
        for alias in entry.get("aliases", ()) or ():
            mapping[alias] = entry["code"]
    return mapping


def canonical(name: str, value: str | None) -> str | None:
    """The canonical code for ``value`` (aliases accepted), or None when unknown."""
    if value is None:
        return None
    return alias_map(name).get(value)


def regime_fits_person(regime: str, person: str) -> bool:
    """Whether a tax regime applies to a persona ``fisica`` or ``moral``."""
    entry = get("tax_regimes", regime)
    return bool(entry and entry.get(person))


def use_allowed_for_regime(use: str, regime: str) -> bool:
    """Whether a CFDI use may be chosen by a receiver in ``regime`` (SAT c_UsoCFDI)."""
    entry = get("cfdi_uses", use)
    return bool(entry and regime in entry.get("regimes", ()))


@cache
def current_uses(
    regime: str | None = None, person: str | None = None
) -> tuple[dict[str, Any], ...]:
    """The CFDI uses SAT's c_UsoCFDI offers today to a receiver in ``regime`` — while the
    regime is unknown, to a persona ``person`` (``fisica`` / ``moral``); every current use
    when neither is known. A use CFDI 4.0 removed (``deprecated``: P01) is never among them,
    though gigstack still accepts it: the one list every form offers and checks."""
    return tuple(
        entry
        for entry in entries("cfdi_uses")
        if not entry.get("deprecated")
        and (regime in entry.get("regimes", ()) if regime else not person or entry.get(person))
    )


def use_choices(regime: str | None = None, person: str | None = None) -> list[tuple[str, str]]:
    """``(code, "code — name")`` options of :func:`current_uses`."""
    return [(e["code"], f"{e['code']} — {e['name']}") for e in current_uses(regime, person)]
