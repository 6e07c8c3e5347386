"""Read and check a SAT CSD (Certificado de Sello Digital): ``.cer`` + ``.key`` + password.

Used by the sandbox (to accept/reject ``POST /teams/{id}/sat-connection`` like gigstack does)
and by the dashboard (to stop bad uploads — above all an e.firma — before anything is sent).
Facts behind every rule: ``shared/sat-test-certs/VALIDATION-NOTES.md`` sections 1, 2 and 5.

Secrets policy: nothing here logs, and no error message contains the password or key bytes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

from . import _der

__all__ = [
    "MAX_FILE_BYTES",
    "CertificateInfo",
    "CsdError",
    "certificate_number",
    "check_csd",
    "csd_problems",
    "load_private_key",
    "normalize_rfc",
    "read_certificate",
]

MAX_FILE_BYTES = 1024 * 1024
"""gigstack's per-file limit for the CSD upload (413 ``file_upload_error`` above it)."""

_CN, _SERIAL, _OU, _O, _NAME, _UID = (
    "2.5.4.3",
    "2.5.4.5",
    "2.5.4.11",
    "2.5.4.10",
    "2.5.4.41",
    "2.5.4.45",
)
_SAT_ORGANIZATION = "SERVICIO DE ADMINISTRACION TRIBUTARIA"
_PKCS5_PREFIX = "1.2.840.113549.1.5."  # PBES1 / PBES2
_PKCS12_PBE_PREFIX = "1.2.840.113549.1.12.1."

Persona = Literal["moral", "fisica"]


class CsdError(ValueError):
    """A rejected CSD upload, shaped like the gigstack API error it maps to.

    ``field`` is the multipart part name (``cert``, ``key``, ``keyPass``) so a form can show the
    message next to the right input; ``code`` is the gigstack error code.
    """

    def __init__(
        self, field: str, code: str, message: str, reason: str = "", **params: object
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = message
        # which rule refused it (``fiel``, ``expired``…) and its facts, for translated messages
        self.reason = reason or code
        self.params = params

    @property
    def status(self) -> int:
        """HTTP status gigstack answers with for this code."""
        return 413 if self.code == "file_upload_error" else 400


@dataclass(frozen=True)
class CertificateInfo:
    """What a support agent or the API needs to know about a SAT certificate."""

    rfc: str
    representative_rfc: str | None
    legal_name: str
    branch: str | None
    certificate_number: str | None
    not_before: datetime
    not_after: datetime
    is_fiel: bool
    issuer_name: str
    persona: Persona | None
    curp: str | None = None
    representative_curp: str | None = None
    issuer_organization: str = ""
    der: bytes = field(default=b"", repr=False, compare=False)
    """The certificate in DER (what gigstack wants), also when a PEM was uploaded."""

    @property
    def is_sat_issued(self) -> bool:
        """Issuer O is SAT and the serial is a 20-digit SAT number (weak: no chain check)."""
        return _fold(self.issuer_organization) == _SAT_ORGANIZATION and bool(
            self.certificate_number
        )

    def is_valid_at(self, now: datetime) -> bool:
        """Whether ``now`` lies within the certificate's validity period."""
        return self.not_before <= now <= self.not_after

    def expires_within(self, days: float, now: datetime) -> bool:
        """True when fewer than ``days`` days are left at ``now`` (or it already expired)."""
        return self.not_after - now <= timedelta(days=days)


def normalize_rfc(value: str | None) -> str:
    """Upper-case, stripped RFC for comparisons (keeps Ñ and &)."""
    return (value or "").strip().upper()


def certificate_number(serial_number: int) -> str | None:
    """SAT's 20-digit "número de certificado" hidden in an X.509 serial, or None.

    SAT writes the digits' ASCII codes as the serial's bytes (hex 3330303031… → "30001…").
    """
    if serial_number <= 0:
        return None
    raw = serial_number.to_bytes((serial_number.bit_length() + 7) // 8, "big")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if len(text) == 20 and text.isdigit() else None


def read_certificate(data: bytes) -> CertificateInfo:
    """Parse a DER or PEM X.509 certificate into :class:`CertificateInfo`.

    Raises :class:`CsdError` (``cert`` / ``invalid_file_format``) when it is not a certificate.
    """
    return _info(_load_certificate(data))


def load_private_key(data: bytes, password: str) -> PrivateKeyTypes:
    """Decrypt a SAT ``.key`` (DER PKCS#8 EncryptedPrivateKeyInfo).

    The structure is checked first so that "not a key" (``key``) and "wrong password"
    (``keyPass``) are told apart reliably; both raise :class:`CsdError`.
    """
    algorithm = _der.encrypted_pkcs8_algorithm(data)
    if algorithm is None or not algorithm.startswith((_PKCS5_PREFIX, _PKCS12_PBE_PREFIX)):
        raise CsdError("key", "invalid_file_format", _not_a_key_message(data), reason="not_a_key")
    try:
        # surrogatepass: a malformed form value must end as "wrong password", not a crash.
        secret = password.encode("utf-8", "surrogatepass")
        return serialization.load_der_private_key(data, password=secret)
    except UnsupportedAlgorithm as exc:
        raise CsdError(
            "key",
            "invalid_file_format",
            "The private key (.key) is encrypted with an algorithm that is not supported; "
            "upload the .key file exactly as SAT issued it.",
            reason="key_algorithm",
        ) from exc
    except (ValueError, TypeError):
        # The structure is a valid encrypted PKCS#8, so a failure here means the password.
        # ``from None``: the original exception is not needed and must not travel further.
        message = (
            "The password does not open this private key (.key). Passwords are case-sensitive; "
            "use the password chosen when the CSD was requested."
        )
        if password != password.strip():
            message += " Note: the password entered starts or ends with a space."
        raise CsdError(
            "keyPass",
            "invalid_field_value",
            message,
            reason="wrong_password",
            spaces=password != password.strip(),
        ) from None


def check_csd(
    cer: bytes,
    key: bytes,
    password: str,
    *,
    now: datetime,
    expected_rfc: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    require_sat_issuer: bool = True,
) -> CertificateInfo:
    """Accept a CSD upload or raise the :class:`CsdError` gigstack would answer with: the
    first of :func:`csd_problems`."""
    info, problems = csd_problems(
        cer,
        key,
        password,
        now=now,
        expected_rfc=expected_rfc,
        max_file_bytes=max_file_bytes,
        require_sat_issuer=require_sat_issuer,
    )
    if problems:
        raise problems[0]
    assert info is not None  # no problem: the certificate was read
    return info


def csd_problems(
    cer: bytes,
    key: bytes,
    password: str,
    *,
    now: datetime,
    expected_rfc: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    require_sat_issuer: bool = True,
) -> tuple[CertificateInfo | None, list[CsdError]]:
    """The certificate (when it can be read) and every problem of the upload at once, so one
    attempt tells all that is wrong: a certificate of another RFC first (the files are someone
    else's, whatever else is wrong with them), then missing parts → size → certificate format
    → key format → password → key/cert pair → e.firma → issuer → RFC present → validity at
    ``now``. ``now`` is injected (aware) so tests do not depend on the clock;
    ``require_sat_issuer`` rejects certificates whose issuer is not SAT or whose serial is not
    a SAT number."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    problems = _missing(cer, key, password) + _too_large(cer, key, max_file_bytes)
    given = {error.field for error in problems}
    cert = info = private_key = None
    if "cert" not in given:
        try:
            cert = _load_certificate(cer)
            info = _info(cert)
        except CsdError as error:
            problems.append(error)
    if not given & {"key", "keyPass"}:
        try:
            private_key = load_private_key(key, password)
        except CsdError as error:
            problems.append(error)
    if (
        cert is not None
        and private_key is not None
        and _spki(private_key.public_key()) != _spki(cert.public_key())
    ):
        problems.append(
            CsdError(
                "key",
                "invalid_field_value",
                f"The private key (.key) does not belong to the certificate (.cer) number "
                f"{info.certificate_number or '(unknown)'}. Upload the .key that was issued "
                f"together with this .cer.",
                reason="key_mismatch",
                number=info.certificate_number or "",
            )
        )
    if info is not None:
        problems += _certificate_problems(info, now, expected_rfc, require_sat_issuer)
    problems.sort(key=lambda error: error.reason != "other_rfc")  # stable: the rest in order
    return info, problems


def _missing(cer: bytes, key: bytes, password: str) -> list[CsdError]:
    found = []
    if not cer:
        found.append(
            CsdError(
                "cert",
                "missing_required_field",
                "The certificate file (.cer) is missing.",
                reason="cert_missing",
            )
        )
    if not key:
        found.append(
            CsdError(
                "key",
                "missing_required_field",
                "The private key file (.key) is missing.",
                reason="key_missing",
            )
        )
    if not password:
        found.append(
            CsdError(
                "keyPass",
                "missing_required_field",
                "The password of the private key is missing.",
                reason="password_missing",
            )
        )
    return found


def _too_large(cer: bytes, key: bytes, max_file_bytes: int) -> list[CsdError]:
    return [
        CsdError(
            part,
            "file_upload_error",
            f"The {label} file is {_size(len(data))}; the limit is {_size(max_file_bytes)}. "
            f"A SAT {label} is about {typical}: check that the right file was chosen.",
            reason="too_large",
            size=_size(len(data)),
            limit=_size(max_file_bytes),
        )
        for part, data, label, typical in (
            ("cert", cer, "certificate (.cer)", "1.5 KB"),
            ("key", key, "private key (.key)", "1.3 KB"),
        )
        if len(data) > max_file_bytes
    ]


def _certificate_problems(
    info: CertificateInfo, now: datetime, expected_rfc: str | None, require_sat_issuer: bool
) -> list[CsdError]:
    """What is wrong with a certificate that could be read (not with its key)."""
    found = []
    expected = normalize_rfc(expected_rfc)
    if expected and info.rfc and expected != info.rfc:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                f"The certificate belongs to RFC {info.rfc}, but this team's RFC is {expected}. "
                f"Upload the CSD of {expected}.",
                reason="other_rfc",
                rfc=info.rfc,
                expected=expected,
            )
        )
    if info.is_fiel:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                "This is an e.firma (FIEL) certificate, not a CSD. The e.firma cannot seal "
                "invoices and must not be uploaded here. Request a CSD (Certificado de Sello "
                "Digital) in SAT's CertiSAT / Certifica using the e.firma, then upload the CSD's "
                ".cer and .key.",
                reason="fiel",
            )
        )
    if require_sat_issuer and not info.is_sat_issued:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                f"The certificate was not issued by SAT (issuer: {info.issuer_name or 'unknown'}"
                f"). Upload the CSD downloaded from SAT's CertiSAT.",
                reason="not_sat",
                issuer=info.issuer_name or "",
            )
        )
    if info.persona is None:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                "The certificate does not carry a valid RFC (subject x500UniqueIdentifier); "
                "it is not a SAT CSD.",
                reason="no_rfc",
            )
        )
    if now < info.not_before:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                f"The certificate is not valid yet: it starts on {_when(info.not_before)}.",
                reason="not_yet_valid",
                starts=info.not_before,
            )
        )
    if now > info.not_after:
        found.append(
            CsdError(
                "cert",
                "invalid_field_value",
                f"The certificate expired on {info.not_after:%Y-%m-%d} (valid from "
                f"{info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}). Upload a current "
                f"CSD; a new one can be requested in SAT's CertiSAT.",
                reason="expired",
                ended=info.not_after,
                started=info.not_before,
            )
        )
    return found


# --- internals ------------------------------------------------------------------------------


def _load_certificate(data: bytes) -> x509.Certificate:
    stripped = data.lstrip()
    try:
        if stripped.startswith(b"-----BEGIN CERTIFICATE-----"):
            return x509.load_pem_x509_certificate(stripped)
        if not stripped.startswith(b"-----BEGIN"):
            return x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    raise CsdError(
        "cert", "invalid_file_format", _not_a_cert_message(data), reason="not_a_certificate"
    )


def _not_a_cert_message(data: bytes) -> str:
    base = "The certificate (.cer) is not a DER X.509 certificate"
    if data.lstrip().startswith(b"-----BEGIN") and b"PRIVATE KEY" in data[:100]:
        return f"{base}: it is a private key in PEM text; upload the .cer file from SAT."
    if _der.encrypted_pkcs8_algorithm(data):
        return (
            f"{base}: it looks like the private key (.key). Check that the files are not swapped."
        )
    if data.startswith(b"%PDF-"):
        return f"{base}: it is a PDF document. Upload the .cer file from SAT."
    return f"{base}. Upload the .cer file exactly as SAT issued it."


def _not_a_key_message(data: bytes) -> str:
    base = "The private key (.key) is not an encrypted PKCS#8 DER key as SAT issues them"
    stripped = data.lstrip()
    if stripped.startswith(b"-----BEGIN"):
        return f"{base}: it is PEM text. Upload the original binary .key file downloaded from SAT."
    if _der.is_plain_pkcs8(data):
        return f"{base}: it is not password-protected. Upload the original .key from SAT."
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return f"{base}. Upload the .key file exactly as SAT issued it."
    return f"{base}: it is a certificate (.cer). Check that the files are not swapped."


def _info(cert: x509.Certificate) -> CertificateInfo:
    issuer, subject = _names(cert)
    uid = _first(subject, _UID) or ""
    uid_parts = [p.strip() for p in uid.split("/")]
    rfc = normalize_rfc(uid_parts[0])
    representative_rfc = normalize_rfc(uid_parts[1]) if len(uid_parts) > 1 else ""
    serial_parts = [p.strip() for p in (_first(subject, _SERIAL) or "").split("/")]
    curp = serial_parts[0].upper() or None
    representative_curp = (serial_parts[1].upper() or None) if len(serial_parts) > 1 else None
    persona: Persona | None = {12: "moral", 13: "fisica"}.get(len(rfc))  # type: ignore[assignment]
    return CertificateInfo(
        rfc=rfc,
        representative_rfc=representative_rfc or None,
        legal_name=(
            _first(subject, _O) or _first(subject, _CN) or _first(subject, _NAME) or ""
        ).strip(),
        branch=(_first(subject, _OU) or "").strip() or None,
        certificate_number=certificate_number(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_fiel=_is_fiel(cert, subject),
        issuer_name=(_first(issuer, _CN) or _first(issuer, _O) or "").strip(),
        persona=persona,
        curp=curp,
        representative_curp=representative_curp,
        issuer_organization=(_first(issuer, _O) or "").strip(),
        der=cert.public_bytes(serialization.Encoding.DER),
    )


def _names(cert: x509.Certificate) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(issuer, subject) as (OID, text) pairs; DER walker when cryptography cannot decode."""
    try:
        return _attrs(cert.issuer), _attrs(cert.subject)
    except ValueError:
        # T61String with Latin-1 bytes (Ñ, Ó…): cryptography insists on UTF-8.
        try:
            return _der.tbs_names(cert.tbs_certificate_bytes)
        except _der.DerError as exc:
            raise CsdError(
                "cert", "invalid_file_format", "The certificate's subject cannot be read."
            ) from exc


def _attrs(name: x509.Name) -> list[tuple[str, str]]:
    out = []
    for attr in name:
        value = attr.value
        if isinstance(value, bytes):
            value = _der.decode_string(0x14, value)
        out.append((attr.oid.dotted_string, value))
    return out


def _first(attrs: list[tuple[str, str]], oid: str) -> str | None:
    return next((value for o, value in attrs if o == oid), None)


def _is_fiel(cert: x509.Certificate, subject: list[tuple[str, str]]) -> bool:
    """FIEL if no OU, or keyUsage allows encryption/agreement, or EKU has client/e-mail use."""
    if not (_first(subject, _OU) or "").strip():
        return True
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if usage.data_encipherment or usage.key_agreement:
            return True
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH in eku or ExtendedKeyUsageOID.EMAIL_PROTECTION in eku:
            return True
    except (x509.ExtensionNotFound, ValueError):
        pass
    return False


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
