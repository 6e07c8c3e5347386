"""The SAT catalogues generated from python-satcfdi (``make catalogs``): present, complete,
searchable by code and by description (their speed is measured by `make bench`)."""

from __future__ import annotations

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
    assert names and all("consultor" in n for n in names)
    assert any(e.code == "50201706" for e in sat.search_product_keys("cafe"))
    assert sat.search_unit_keys("pieza")[0].code == "H87"
    assert sat.search_product_keys("") == [] and sat.search_product_keys("%_%") == []


def _scanned(words: list[str]) -> list[tuple[str, str]]:
    """What a plain scan of the table finds (no index): the reference for the index."""
    where = " AND ".join("folded LIKE ? ESCAPE '\\'" for _ in words)
    return (
        sat._connection()
        .execute(
            f"SELECT code, name FROM product_keys WHERE {where} "  # noqa: S608
            "ORDER BY length(name), code LIMIT 20",
            [f"%{sat._like(w)}%" for w in words],
        )
        .fetchall()
    )


def test_the_description_index_finds_what_a_scan_finds():
    """Long words through the trigram index, short ones scanned: the same rows, same order."""
    for text in (
        "servicios de consultoria",
        "pieza",
        "consultoría",
        "ab",
        "de la",
        "servicio",
        "sERVICIOS   médicos",
        'comillas "dobles"',
        "100%",
        "a_b",
        "ñandú",
    ):
        words = sat.fold(text).split()
        assert sat._by_description("product_keys", words, 20) == _scanned(words), text


def test_text_that_folds_to_nothing_finds_nothing():
    assert sat.search_product_keys("\u0301\u0301") == []
    assert sat.search_unit_keys("  ") == []
