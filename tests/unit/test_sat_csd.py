"""CSD (.cer/.key/password) checks with SAT's real test certificates (VALIDATION-NOTES 5, 1–10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from webapp.sat import _der
from webapp.sat.csd import (
    CertificateInfo,
    CsdError,
    certificate_number,
    check_csd,
    csd_problems,
    load_private_key,
    read_certificate,
)

try:  # tests/unit as a package or as a plain directory on sys.path
    from .sat_fixtures import NOW, PASSWORD, pair, sat_certs_dir, sat_file
except ImportError:
    from sat_fixtures import NOW, PASSWORD, pair, sat_certs_dir, sat_file

CSD_VALID = "csd_moral_EKU9003173C9_valid"
CSD_OLD = "csd_moral_EKU9003173C9_expired"
CSD_FISICA = "csd_fisica_FUNK671228PH6_expired"
CSD_T61 = "csd_moral_ZUN920208KL4_expired_t61"
FIEL_VALID = "fiel_moral_EKU9003173C9_valid"
FIEL_FISICA = "fiel_fisica_FUNK671228PH6_expired"


def rejected(cer: bytes, key: bytes, password: str = PASSWORD, **kwargs: object) -> CsdError:
    kwargs.setdefault("now", NOW)
    with pytest.raises(CsdError) as caught:
        check_csd(cer, key, password, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    # Secrets policy: no message may echo the password or the key bytes.
    if len(password) >= 6:
        assert password not in error.message and password not in str(error)
    if key:
        assert key[:32].hex() not in error.message
    return error


def test_shared_password_file_matches() -> None:
    assert (sat_certs_dir() / "password.txt").read_text(encoding="utf-8") == PASSWORD


# --- happy path and reading ---------------------------------------------------------------


def test_valid_csd_is_accepted() -> None:
    cer, key = pair(CSD_VALID)
    info = check_csd(cer, key, PASSWORD, now=NOW, expected_rfc="EKU9003173C9")
    assert info.rfc == "EKU9003173C9"
    assert info.certificate_number == "30001000000500003416"
    assert info.persona == "moral"
    assert info.representative_rfc == "VADA800927DJ3"
    assert info.representative_curp == "VADA800927HSRSRL05"
    assert info.curp is None
    assert info.legal_name == "ESCUELA KEMPER URGATE SA DE CV"
    assert info.branch == "Sucursal 1"
    assert info.is_fiel is False
    assert info.is_sat_issued
    assert info.issuer_name == "AC UAT"
    assert info.not_before == datetime(2023, 5, 18, 11, 43, 51, tzinfo=UTC)
    assert info.not_after == datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC)
    assert info.der == cer


@pytest.mark.parametrize(
    ("stem", "rfc", "number", "persona", "is_fiel"),
    [
        (CSD_VALID, "EKU9003173C9", "30001000000500003416", "moral", False),
        (FIEL_VALID, "EKU9003173C9", "30001000000500003415", "moral", True),
        (CSD_FISICA, "FUNK671228PH6", "30001000000400002321", "fisica", False),
        (FIEL_FISICA, "FUNK671228PH6", "30001000000400002302", "fisica", True),
        (CSD_OLD, "EKU9003173C9", "30001000000400002434", "moral", False),
        (CSD_T61, "ZUÑ920208KL4", "30001000000400002442", "moral", False),
    ],
)
def test_read_certificate_all_shared_files(
    stem: str, rfc: str, number: str, persona: str, is_fiel: bool
) -> None:
    info = read_certificate(sat_file(f"{stem}.cer"))
    assert (info.rfc, info.certificate_number, info.persona, info.is_fiel) == (
        rfc,
        number,
        persona,
        is_fiel,
    )


def test_fisica_certificate_fields() -> None:
    info = read_certificate(sat_file(f"{CSD_FISICA}.cer"))
    assert info.representative_rfc is None
    assert info.curp == "FUNK671228MCLNLR05"
    assert info.legal_name == "KARLA FUENTE NOLASCO"


def test_t61_certificate_is_readable() -> None:
    cer = sat_file(f"{CSD_T61}.cer")
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(cer).subject  # noqa: B018 - the reason for the fallback
    info = read_certificate(cer)
    assert info.rfc == "ZUÑ920208KL4"
    assert info.legal_name == "ZAPATERIA URTADO ÑERI SA DE CV"
    assert info.branch == "Zapatería Urtado Ñeri"
    assert info.representative_rfc == "KAHO641101B39"


def test_t61_pair_accepted_while_it_was_valid() -> None:
    cer, key = pair(CSD_T61)
    info = check_csd(cer, key, PASSWORD, now=datetime(2021, 1, 1, tzinfo=UTC))
    assert info.rfc == "ZUÑ920208KL4"
    assert check_csd(
        cer, key, PASSWORD, now=datetime(2021, 1, 1, tzinfo=UTC), expected_rfc=" zuñ920208kl4 "
    )


@pytest.mark.parametrize("stem", [CSD_VALID, FIEL_VALID, CSD_FISICA, CSD_OLD])
def test_der_walker_agrees_with_cryptography(stem: str) -> None:
    cert = x509.load_der_x509_certificate(sat_file(f"{stem}.cer"))
    issuer, subject = _der.tbs_names(cert.tbs_certificate_bytes)
    assert subject == [(a.oid.dotted_string, a.value) for a in cert.subject]
    assert issuer == [(a.oid.dotted_string, a.value) for a in cert.issuer]


def test_pem_certificate_is_accepted_and_converted_to_der() -> None:
    cer, key = pair(CSD_VALID)
    pem = x509.load_der_x509_certificate(cer).public_bytes(serialization.Encoding.PEM)
    info = check_csd(pem, key, PASSWORD, now=NOW)
    assert info.certificate_number == "30001000000500003416"
    assert info.der == cer


def test_certificate_number_parsing() -> None:
    assert certificate_number(int("3330303031303030303030353030303033343136", 16)) == (
        "30001000000500003416"
    )
    assert certificate_number(0x1234) is None
    assert certificate_number(int.from_bytes(b"3000100000050000341", "big")) is None  # 19 digits
    assert certificate_number(0) is None


def test_expires_within() -> None:
    info = read_certificate(sat_file(f"{CSD_VALID}.cer"))
    assert not info.expires_within(30, NOW)
    assert info.expires_within(30, datetime(2027, 5, 1, tzinfo=UTC))
    assert info.expires_within(30, datetime(2027, 6, 1, tzinfo=UTC))
    assert info.is_valid_at(NOW)
    assert not info.is_valid_at(datetime(2027, 6, 1, tzinfo=UTC))


def test_load_private_key_decrypts_every_shared_key() -> None:
    # 3DES-encrypted PKCS#8: fails loudly here if a cryptography upgrade drops it.
    for stem in (CSD_VALID, FIEL_VALID, CSD_FISICA, FIEL_FISICA, CSD_OLD, CSD_T61):
        cer, key = pair(stem)
        private = load_private_key(key, PASSWORD)
        public = x509.load_der_x509_certificate(cer).public_key()
        assert private.public_key().public_numbers() == public.public_numbers()  # type: ignore[union-attr]


# --- rejections, in check order -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cer", "key", "password", "field"),
    [(b"", b"k", "p", "cert"), (b"c", b"", "p", "key"), (b"c", b"k", "", "keyPass")],
)
def test_missing_parts(cer: bytes, key: bytes, password: str, field: str) -> None:
    error = rejected(cer, key, password)
    assert (error.field, error.code, error.status) == (field, "missing_required_field", 400)


def test_file_over_the_size_limit() -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer + b"\0" * (1024 * 1024), key)
    assert (error.field, error.code, error.status) == ("cert", "file_upload_error", 413)
    error = rejected(cer, key, max_file_bytes=1400)
    assert (error.field, error.code) == ("cert", "file_upload_error")
    error = rejected(cer, key + b"\0" * 200, max_file_bytes=1470)
    assert (error.field, error.code) == ("key", "file_upload_error")


def test_key_in_the_cert_field() -> None:
    _, key = pair(CSD_VALID)
    error = rejected(key, key)
    assert (error.field, error.code) == ("cert", "invalid_file_format")
    assert error.message.startswith("The certificate (.cer) is not a DER X.509 certificate")
    assert "swapped" in error.message


def test_cert_in_the_key_field() -> None:
    cer, _ = pair(CSD_VALID)
    error = rejected(cer, cer)
    assert (error.field, error.code) == ("key", "invalid_file_format")
    assert "certificate (.cer)" in error.message


@pytest.mark.parametrize("garbage", [b"\x00\x01garbage" * 50, b"hello world", b"0\x82\x05"])
def test_garbage_bytes(garbage: bytes) -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(garbage, key)
    assert (error.field, error.code) == ("cert", "invalid_file_format")
    error = rejected(cer, garbage)
    assert (error.field, error.code) == ("key", "invalid_file_format")


def test_pem_or_unencrypted_key_is_not_a_sat_key() -> None:
    cer, key = pair(CSD_VALID)
    private = load_private_key(key, PASSWORD)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )
    error = rejected(cer, pem)
    assert (error.field, error.code) == ("key", "invalid_file_format")
    assert "PEM" in error.message
    plain = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    error = rejected(cer, plain)
    assert (error.field, error.code) == ("key", "invalid_file_format")
    assert "not password-protected" in error.message


@pytest.mark.parametrize("wrong", ["12345678A", "12345678a\n", " 12345678a", "x", "\udcff"])
def test_wrong_password(wrong: str) -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer, key, wrong)
    assert (error.field, error.code) == ("keyPass", "invalid_field_value")
    assert "password" in error.message
    assert wrong.strip() not in error.message
    assert ("space" in error.message) == (wrong != wrong.strip())


@pytest.mark.parametrize("other_key", [f"{FIEL_VALID}.key", f"{CSD_OLD}.key"])
def test_key_does_not_match_certificate(other_key: str) -> None:
    cer, _ = pair(CSD_VALID)
    error = rejected(cer, sat_file(other_key))
    assert (error.field, error.code) == ("key", "invalid_field_value")
    assert "does not belong" in error.message
    assert "30001000000500003416" in error.message


@pytest.mark.parametrize("stem", [FIEL_VALID, FIEL_FISICA])
def test_fiel_is_refused(stem: str) -> None:
    cer, key = pair(stem)
    error = rejected(cer, key)
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert error.message.startswith("This is an e.firma (FIEL) certificate, not a CSD")


@pytest.mark.parametrize(
    ("stem", "expired_on"),
    [(CSD_OLD, "2023-06-17"), (CSD_FISICA, "2023-05-29"), (CSD_T61, "2023-06-17")],
)
def test_expired_csd(stem: str, expired_on: str) -> None:
    cer, key = pair(stem)
    error = rejected(cer, key)
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert f"expired on {expired_on}" in error.message


def test_valid_csd_expires_in_2027() -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer, key, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert "expired on 2027-05-18" in error.message


def test_not_yet_valid() -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer, key, now=datetime(2023, 1, 1, tzinfo=UTC))
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert "not valid yet" in error.message and "2023-05-18" in error.message


def test_rfc_mismatch_names_both_rfcs() -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer, key, expected_rfc="FUNK671228PH6")
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert "EKU9003173C9" in error.message and "FUNK671228PH6" in error.message


def test_rfc_comparison_is_case_and_space_insensitive() -> None:
    cer, key = pair(CSD_VALID)
    assert check_csd(cer, key, PASSWORD, now=NOW, expected_rfc="  eku9003173c9 ").rfc == (
        "EKU9003173C9"
    )
    assert check_csd(cer, key, PASSWORD, now=NOW, expected_rfc="").rfc == "EKU9003173C9"


def test_checks_run_in_documented_order() -> None:
    # FIEL + wrong password → password first; expired FIEL → FIEL first; expired + other RFC
    # → the other RFC first (the files are someone else's).
    cer, key = pair(FIEL_FISICA)
    assert rejected(cer, key, "nope").field == "keyPass"
    assert "e.firma" in rejected(cer, key).message
    cer, key = pair(CSD_OLD)
    assert rejected(cer, key, expected_rfc="FUNK671228PH6").reason == "other_rfc"


def test_every_problem_is_told_at_once_the_other_rfc_first() -> None:
    """Another taxpayer's CSD that also expired: both, not only "expired"."""
    cer, key = pair(CSD_OLD)
    info, problems = csd_problems(cer, key, PASSWORD, now=NOW, expected_rfc="FUNK671228PH6")
    assert info is not None and info.rfc == "EKU9003173C9"
    assert [p.reason for p in problems] == ["other_rfc", "expired"]
    fiel, fiel_key = pair(FIEL_FISICA)
    _info, problems = csd_problems(fiel, fiel_key, "nope", now=NOW, expected_rfc="EKU9003173C9")
    assert [p.reason for p in problems] == ["other_rfc", "wrong_password", "fiel", "expired"]
    _info, problems = csd_problems(b"", b"", "", now=NOW)
    assert [p.field for p in problems] == ["cert", "key", "keyPass"]
    assert csd_problems(*pair(CSD_VALID), PASSWORD, now=NOW)[1] == []


def test_naive_now_is_a_programming_error() -> None:
    cer, key = pair(CSD_VALID)
    with pytest.raises(ValueError, match="timezone-aware"):
        check_csd(cer, key, PASSWORD, now=datetime(2026, 6, 1))


def _self_signed(*, ou: str | None, serial: int) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, "ESCUELA KEMPER URGATE SA DE CV"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ESCUELA KEMPER URGATE SA DE CV"),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, "EKU9003173C9 / VADA800927DJ3"),
    ]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    name = x509.Name(attrs)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )
    return cert.public_bytes(serialization.Encoding.DER), der_key


def test_self_signed_look_alike_is_not_sat_issued() -> None:
    serial = int.from_bytes(b"30001000000500009999", "big")
    cer, key = _self_signed(ou="Sucursal 1", serial=serial)
    error = rejected(cer, key)
    assert (error.field, error.code) == ("cert", "invalid_field_value")
    assert "not issued by SAT" in error.message and "Fake CA" in error.message
    info = check_csd(cer, key, PASSWORD, now=NOW, require_sat_issuer=False)
    assert isinstance(info, CertificateInfo)
    assert info.certificate_number == "30001000000500009999"
    assert not info.is_sat_issued


def test_error_string_carries_field_but_not_secrets() -> None:
    cer, key = pair(CSD_VALID)
    error = rejected(cer, key, "S3cret-Pass!")
    assert str(error).startswith("keyPass: ")
    assert "S3cret-Pass!" not in str(error) and "S3cret-Pass!" not in repr(error)
    assert error.__cause__ is None and error.__suppress_context__
