"""The screen kit: gigstack's field errors land on the form fields they name."""

from __future__ import annotations

from flask import Flask
from wtforms import FieldList, Form, FormField, StringField

from webapp.gigstack.errors import ValidationError
from webapp.pages import api_field_name, apply_api_errors


class _Item(Form):
    product_key = StringField()


class _Address(Form):
    zip = StringField()


class _Invoice(Form):
    password = StringField()
    address = FormField(_Address)
    items = FieldList(FormField(_Item), min_entries=3)


def _error(*details: tuple[str, str]) -> ValidationError:
    return ValidationError(
        "Invalid request",
        code="validation_failed",
        status=400,
        details=[{"field": f, "message": m} for f, m in details],
    )


def test_paths_become_wtforms_names():
    assert api_field_name("address.zip") == "address-zip"
    assert api_field_name("items[2].product_key") == "items-2-product_key"
    assert api_field_name("keyPass") == "keyPass"


def test_errors_land_on_nested_rows_aliases_and_the_rest_is_returned():
    with Flask(__name__).test_request_context():
        form = _Invoice()
        unplaced = apply_api_errors(
            form,
            _error(
                ("items[2].product_key", "unknown product key"),
                ("address.zip", "not 5 digits"),
                ("keyPass", "wrong password"),
                ("currency", "not ISO"),
                ("", "something else"),
            ),
            {"keyPass": "password"},
        )
    assert form.items[2].product_key.errors == ["unknown product key"]
    assert not form.items[0].product_key.errors
    assert form.address.zip.errors == ["not 5 digits"]
    assert form.password.errors == ["wrong password"]
    assert unplaced == ["currency: not ISO", "something else"]


def test_a_csv_streams_in_chunks_of_rows_not_a_chunk_per_row():
    """Every row, in order, a few hundred a chunk (a chunk costs an app context and a
    compression call), the header alone first so the download starts at once."""
    from webapp import exports

    rows = [[n, f"=formula {n}"] for n in range(exports.ROWS_PER_CHUNK * 2 + 7)]
    chunks = list(exports.csv_lines(["n", "text"], iter(rows)))
    assert chunks[0] == "\ufeffn,text\r\n"
    assert len(chunks) == 1 + 3
    lines = "".join(chunks[1:]).splitlines()
    assert lines == [f"{n},'=formula {n}" for n in range(len(rows))]
    assert list(exports.csv_lines(["n"], iter([]))) == ["\ufeffn\r\n"]


def test_a_csv_cut_short_ends_with_the_line_that_says_so():
    """A failure once the answer has started: the rows written so far, then the warning."""
    from webapp import exports

    def rows():
        yield from ([n] for n in range(3))
        raise ConnectionError("gone")

    body = "".join(exports.csv_lines(["n"], rows(), "=INCOMPLETE"))
    assert body.splitlines() == ["\ufeffn", "0", "1", "2", "'=INCOMPLETE"]
