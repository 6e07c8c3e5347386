"""The big SAT catalogues — c_ClaveProdServ, c_ClaveUnidad, c_CodigoPostal, with c_Moneda, c_Pais
and c_TasaOCuota — as local data.

``data/sat.sqlite3`` is generated from python-satcfdi's catalogue by ``make catalogs``
(``tools/build_sat_catalogs.py``); it is read-only here, opened once per thread, and every
lookup or search is an indexed query or one scan of a few MB: well under the 50 ms a picker
may take, and never a call to gigstack.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from . import DATA_DIR

DATABASE = DATA_DIR / "sat.sqlite3"
SEARCH_LIMIT = 20
PAGE_CACHE_KIB = 256
_local = threading.local()


@dataclass(frozen=True)
class Entry:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


@dataclass(frozen=True)
class PostalCode:
    code: str
    state: str
    municipality: str
    zone: str  # SAT's "Descripción del Huso Horario": ``Tiempo del Pacífico``

    @property
    def time_zone(self) -> str:
        return iana_zone(self.zone, self.state)


# SAT's time-zone descriptions as IANA zones, which carry each one's daylight-saving rule (the
# DST columns of c_CodigoPostal are not in satcfdi's copy): Centro and Pacífico have none since
# 2022, the border (Frontera, Noroeste) follows the US's, Sureste (Quintana Roo) is UTC−5.
ZONES = {
    "Tiempo del Centro": "America/Mexico_City",
    "Tiempo del Centro en Frontera": "America/Matamoros",
    "Tiempo del Pacífico": "America/Mazatlan",
    "Tiempo del Noroeste": "America/Tijuana",
    "Tiempo del Sureste": "America/Cancun",
}
CENTRAL = "America/Mexico_City"


def iana_zone(zone: str, state: str = "") -> str:
    """The IANA zone of a c_CodigoPostal time-zone description (Sonora's own for Sonora's
    Pacific time: it kept no DST when the rest of the Pacific had it); Mexico City's when
    SAT names none."""
    if zone == "Tiempo del Pacífico" and state == "SON":
        return "America/Hermosillo"
    return ZONES.get(zone, CENTRAL)


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(f"file:{DATABASE}?mode=ro&immutable=1", uri=True)
        # one connection per server thread, each with SQLite's default 2 MB page cache, grew
        # every worker by tens of MB; the OS's file cache serves the rereads
        connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        _local.connection = connection
    return connection


def words_of(text: str) -> list[str]:
    """A text's words as descriptions are folded (``tools/build_sat_catalogs.py``): lower case,
    no accents, punctuation made spaces — "Consultoría," and "consultoria" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return plain.split()


def _get(table: str, code: str | None) -> Entry | None:
    if not code:
        return None
    row = (
        _connection()
        .execute(
            f"SELECT code, name FROM {table} WHERE code = ?",  # noqa: S608
            (code.strip(),),
        )
        .fetchone()
    )
    return Entry(*row) if row else None


def _search(table: str, text: str, limit: int) -> list[Entry]:
    """The codes the text starts (one word: exact code first), then the descriptions holding
    every word (:func:`_by_description`)."""
    words = words_of((text or "").strip()[:80])[:6]
    if not words:  # nothing, or only marks that folding removes
        return []
    code_hit = (
        _connection()
        .execute(
            f"SELECT code, name FROM {table} WHERE code >= ? AND code < ? "  # noqa: S608
            "ORDER BY code LIMIT ?",
            (words[0].upper(), words[0].upper() + "\U0010ffff", limit),
        )
        .fetchall()
        if len(words) == 1
        else []
    )
    rest = limit - len(code_hit)
    found = [Entry(*row) for row in code_hit]
    if rest > 0:
        rows = _by_description(table, words, rest + len(code_hit))
        seen = {entry.code for entry in found}
        found += [Entry(*row) for row in rows if row[0] not in seen][:rest]
    return found


# tables with a trigram index of ``folded`` and ``similar`` (tools/build_sat_catalogs.py)
INDEXED = {"product_keys": "product_keys_search"}
TRIGRAM = 3  # the index finds words of this many letters or more


def _all(column: str, pattern: str, words: list[str]) -> tuple[str, list[str]]:
    """SQL true when ``column`` matches ``pattern`` (``{}``: a word) for every word."""
    return " AND ".join(f"{column} LIKE ?" for _ in words), [pattern.format(w) for w in words]


def _by_description(table: str, words: list[str], limit: int) -> list[tuple[str, str]]:
    """Rows whose description or SAT's similar words hold every word (through the trigram
    index when the table has one and a word is long enough for it, else a scan), best first:
    the description starting with the text, then every word starting a word of it, then
    found anywhere in it, then every word starting one of the similar words, then the rest;
    shortest first within each. An indexed table needs a word of 3 letters or more. Words are
    letters and digits only: no LIKE escaping needed."""
    index = INDEXED.get(table)
    indexed = [w for w in words if len(w) >= TRIGRAM] if index else []
    if index and not indexed:  # "a", "de": most of 52,000 rows, a scan of them all to rank
        return []
    scanned = [w for w in words if w not in indexed]
    where = ["(folded LIKE ? OR similar LIKE ?)" for _ in scanned]
    values: list[object] = [f"%{w}%" for w in scanned for _ in range(2)]
    if indexed:  # a quoted phrase per word: the trigram index matches it as a substring
        where.insert(0, f"rowid IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)")
        values.insert(0, " AND ".join(f'"{w}"' for w in indexed))
    starts, start_values = _all("folded", "% {}%", words)
    inside, inside_values = _all("folded", "%{}%", words)
    similar, similar_values = _all("similar", "% {}%", words)
    rank = (
        f"CASE WHEN folded LIKE ? THEN 0 WHEN {starts} THEN 1 WHEN {inside} THEN 2 "
        f"WHEN {similar} THEN 3 ELSE 4 END"
    )
    rank_values = [f" {' '.join(words)}%", *start_values, *inside_values, *similar_values]
    return (
        _connection()
        .execute(
            f"SELECT code, name FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608
            f"ORDER BY {rank}, length(name), code LIMIT ?",
            [*values, *rank_values, limit],
        )
        .fetchall()
    )


def product_key(code: str | None) -> Entry | None:
    """One c_ClaveProdServ entry (``84111506``), or None when SAT has no such key."""
    return _get("product_keys", code)


def unit_key(code: str | None) -> Entry | None:
    """One c_ClaveUnidad entry (``E48``), or None."""
    return _get("unit_keys", code)


def search_product_keys(text: str, limit: int = SEARCH_LIMIT) -> list[Entry]:
    return _search("product_keys", text, limit)


def search_unit_keys(text: str, limit: int = SEARCH_LIMIT) -> list[Entry]:
    return _search("unit_keys", text, limit)


def postal_code(code: str | None) -> PostalCode | None:
    """A c_CodigoPostal entry with its state and municipality codes, or None."""
    if not code or len(code) != 5 or not code.isascii() or not code.isdigit():
        return None
    row = (
        _connection()
        .execute("SELECT code, state, municipality, zone FROM postal_codes WHERE code = ?", (code,))
        .fetchone()
    )
    return PostalCode(*row) if row else None


def currency(code: str | None) -> Entry | None:
    """One c_Moneda entry (``USD``), or None."""
    return _get("currencies", code)


def country(code: str | None) -> Entry | None:
    """One c_Pais entry (``USA``), or None."""
    return _get("countries", code)


@cache
def _tax_rates() -> tuple[tuple[str, Decimal, Decimal, str, str, bool, bool], ...]:
    rows = _connection().execute(
        "SELECT kind, minimum, value, tax, factor, transfer, withholding FROM tax_rates"
    )
    return tuple(
        (kind, Decimal(low), Decimal(high), tax, factor, bool(moved), bool(held))
        for kind, low, high, tax, factor, moved, held in rows
    )


def rate_allowed(tax: str, factor: str, rate: object, withholding: bool) -> bool:
    """Whether c_TasaOCuota has ``rate`` for this tax (IVA, ISR, IEPS), factor (Tasa, Cuota)
    and direction: one of its fixed values, or within one of its ranges."""
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        return False
    for kind, low, high, name, rule_factor, transfer, held in _tax_rates():
        if name != tax or rule_factor != factor or not (held if withholding else transfer):
            continue
        if (kind == "Fijo" and value == high) or (kind == "Rango" and low <= value <= high):
            return True
    return False


def source() -> str:
    """Where the data came from (``satcfdi 26.10.1``)."""
    row = _connection().execute("SELECT value FROM source WHERE name = 'package'").fetchone()
    return row[0] if row else "unknown"
