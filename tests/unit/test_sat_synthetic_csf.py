"""The synthetic CSF generator: clearly labelled, deterministic, shaped like SAT's layout."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.support import synthetic_csf
from webapp.sat.csf import parse_csf


def test_title_metadata_says_synthetic() -> None:
    reader = PdfReader(io.BytesIO(synthetic_csf.moral_eku()))
    assert reader.metadata is not None
    assert reader.metadata.title == "SYNTHETIC TEST CSF - NOT A SAT DOCUMENT"
    assert all(
        "SYNTHETIC TEST CSF - NOT A SAT DOCUMENT" in page.extract_text() for page in reader.pages
    )


def test_output_is_deterministic() -> None:
    assert synthetic_csf.fisica_funk() == synthetic_csf.fisica_funk()


def test_two_labels_share_a_line_like_sats_pdf() -> None:
    text = PdfReader(io.BytesIO(synthetic_csf.moral_eku())).pages[0].extract_text()
    assert "Código Postal:42501 Tipo de Vialidad: CALLE" in text.splitlines()
    assert "Página  [1] de [2]" in text


def test_pages_is_a_minimum_and_headers_count_them() -> None:
    reader = PdfReader(io.BytesIO(synthetic_csf.moral_eku(pages=3)))
    assert len(reader.pages) == 3
    assert "Página  [3] de [3]" in reader.pages[2].extract_text()
    assert parse_csf(synthetic_csf.moral_eku(pages=3)).rfc == "EKU9003173C9"


def test_qr_rfc_changes_only_the_drawn_qr() -> None:
    faked = synthetic_csf.moral_eku(qr_rfc="FUNK671228PH6")
    assert faked != synthetic_csf.moral_eku()
    assert parse_csf(faked).rfc == "EKU9003173C9"  # the text layer is untouched


def test_negative_fixtures_are_pdfs() -> None:
    for pdf in (synthetic_csf.image_only_pdf(), synthetic_csf.generic_pdf()):
        assert pdf.startswith(b"%PDF-")
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert PdfReader(io.BytesIO(synthetic_csf.image_only_pdf())).pages[0].extract_text() == ""
