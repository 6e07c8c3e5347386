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
