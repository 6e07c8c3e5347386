"""The SAT catalogues generated from python-satcfdi (``make catalogs``): present, complete,
searchable by code, by description and by SAT's similar words, best matches first (their
speed is measured by `make bench`)."""

from __future__ import annotations

from functools import cache

import pytest

from webapp.catalogs import sat


def test_the_data_says_where_it_came_from_and_is_complete():
    assert sat.source().startswith("satcfdi ")
    connection = sat._connection()
    counts = {
        table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("product_keys", "unit_keys", "postal_codes")
    }
    assert counts["product_keys"] > 50_000
    assert counts["unit_keys"] > 2_000
    assert counts["postal_codes"] > 90_000


def test_lookups_by_code():
    assert sat.product_key("84111506").name == "Servicios de facturación"
    assert sat.unit_key("E48").name == "Unidad de servicio"
    assert sat.product_key("99999999") is None and sat.unit_key("NOPE") is None
    assert sat.postal_code("06600").state == "CMX"
    assert sat.postal_code("00003") is None and sat.postal_code("0660") is None
    assert sat.postal_code("٠٦٦٠٠") is None  # digits, but not ASCII ones


def test_search_by_code_prefix_and_by_words_without_accents():
    assert [e.code for e in sat.search_product_keys("841115")][:2] == ["84111500", "84111501"]
    names = [e.name.casefold() for e in sat.search_product_keys("consultoria")]
    assert len(names) == 20 and all("consultoría" in n for n in names[:4])
    assert any(e.code == "50201706" for e in sat.search_product_keys("cafe"))
    assert sat.search_unit_keys("pieza")[0].code == "H87"
    assert sat.search_product_keys("") == [] and sat.search_product_keys("%_%") == []


def test_the_exact_code_comes_first():
    assert sat.search_product_keys("84111506")[0].code == "84111506"
    assert sat.search_unit_keys("E48")[0].code == "E48"
    assert sat.search_unit_keys("h87")[0].code == "H87"


def test_descriptions_that_start_with_the_text_come_before_other_word_starts():
    """ "Patio de mantenimiento" (shortest) came first for "mantenimiento"."""
    found = [e.name for e in sat.search_product_keys("mantenimiento", limit=200)]
    starting = [n for n in found if n.startswith("Mantenimiento")]
    assert found[: len(starting)] == starting and len(starting) > 20
    assert found.index("Patio de mantenimiento") >= len(starting)
    names = [e.name for e in sat.search_product_keys("SERVICIOS de Consultoría")]
    assert names[0].startswith("Servicios de consultoría")


def test_sats_similar_words_find_what_the_descriptions_do_not_name():
    """No description says "colegiatura": SAT lists it among the schools' similar words."""
    codes = [e.code for e in sat.search_product_keys("colegiatura")]
    assert {"86121500", "86121700"} <= set(codes)
    assert sat.search_product_keys("colegiaturas primarias")[0].code == "86121500"


def test_the_whole_text_is_searched():
    long = "consultoria en tecnologias de la informacion"  # SAT's similar words of 80101507
    assert sat.search_product_keys(long)[0].code == "80101507"
    assert [e.code for e in sat.search_product_keys("consultoria")] == [
        e.code for e in sat.search_product_keys("consultoría")
    ]


@cache
def _rows(table: str) -> tuple[tuple[str, str, str, str], ...]:
    return tuple(
        sat._connection().execute(f"SELECT code, name, folded, similar FROM {table}")  # noqa: S608
    )


def _scanned(table: str, words: list[str]) -> list[tuple[str, str]]:
    """What a plain scan of every row finds and how it ranks them, in Python (no index, no
    SQL): the reference for the index and the ranking."""

    def rank(folded: str, similar: str) -> int:
        if folded.startswith(" " + " ".join(words)):
            return 0
        if all(f" {w}" in folded for w in words):
            return 1
        if all(w in folded for w in words):
            return 2
        return 3 if all(f" {w}" in similar for w in words) else 4

    found = [
        (rank(folded, similar), len(name), code, name)
        for code, name, folded, similar in _rows(table)
        if all(w in folded or w in similar for w in words)
    ]
    return [(code, name) for _, _, code, name in sorted(found)[:20]]


@pytest.mark.parametrize(
    "text",
    [
        "servicios de consultoria",
        "consultoría",
        "mantenimiento",
        "colegiatura",
        "servicio",
        "sERVICIOS   médicos",
        'comillas "dobles"',
        "100%",
        "a_b cafe",
        "ñandú",
        "x86",
    ],
)
def test_the_description_index_finds_and_ranks_what_a_scan_does(text):
    """Long words through the trigram index, short ones scanned: the same rows, same order."""
    words = sat.words_of(text)
    assert sat._by_description("product_keys", words, 20) == _scanned("product_keys", words)


@pytest.mark.parametrize("text", ["pieza", "kilo", "m", "metro cuadrado"])
def test_the_unit_scan_ranks_like_the_reference(text):
    words = sat.words_of(text)
    assert sat._by_description("unit_keys", words, 20) == _scanned("unit_keys", words)


def test_one_or_two_letters_alone_search_no_description():
    """ "a" or "de" would rank most of 52,000 descriptions: only codes are looked up then."""
    assert sat._by_description("product_keys", ["de"], 20) == []
    assert sat.search_product_keys("8") and sat.search_unit_keys("de")


def test_text_that_folds_to_nothing_finds_nothing():
    assert sat.search_product_keys("\u0301\u0301") == []
    assert sat.search_unit_keys("  ") == []


@pytest.mark.parametrize(
    ("code", "zone", "iana"),
    [
        ("06600", "Tiempo del Centro", "America/Mexico_City"),
        ("80000", "Tiempo del Pacífico", "America/Mazatlan"),  # Culiacán
        ("83000", "Tiempo del Pacífico", "America/Hermosillo"),  # Sonora: its own rule
        ("77500", "Tiempo del Sureste", "America/Cancun"),  # Quintana Roo
        ("22000", "Tiempo del Noroeste", "America/Tijuana"),  # the border, US DST
        ("88000", "Tiempo del Centro en Frontera", "America/Matamoros"),  # Nuevo Laredo
    ],
)
def test_a_postal_code_has_its_time_zone_from_sats_catalogue(code, zone, iana):
    entry = sat.postal_code(code)
    assert (entry.zone, entry.time_zone) == (zone, iana)


def test_currencies_countries_and_the_rates_of_c_tasaocuota():
    assert sat.currency("USD").name and sat.currency("ABC") is None
    assert sat.country("USA") and sat.country("QQQ") is None
    allowed = [
        ("IVA", "Tasa", 0.16, False),
        ("IVA", "Tasa", 0.08, False),  # the border's, "IVA Crédito aplicado del 50%"
        ("IVA", "Tasa", 0.106667, True),  # withheld: any rate up to 16 %
        ("IEPS", "Tasa", 0.265, False),
        ("IEPS", "Cuota", 1.6451, False),
        ("ISR", "Tasa", 0.0125, True),
    ]
    refused = [
        ("IVA", "Tasa", 0.15, False),
        ("IEPS", "Tasa", 0.10, False),
        ("ISR", "Tasa", 0.40, True),
        ("ISR", "Tasa", 0.10, False),  # ISR is never transferred
        ("IEPS", "Tasa", 0.03, True),  # 3 % is transferred only
        ("IVA", "Tasa", "n/a", False),
    ]
    assert all(sat.rate_allowed(*rule) for rule in allowed)
    assert not any(sat.rate_allowed(*rule) for rule in refused)
