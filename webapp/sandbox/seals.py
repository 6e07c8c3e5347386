"""Who seals a sandbox CFDI: the team's uploaded CSD, or a self-signed certificate of its own.

After ``POST /teams/{id}/sat-connection`` the team's documents carry that certificate and are
sealed with its key (kept in memory only, never logged or returned). A team without one gets a
self-signed X.509 for its RFC, and the fake PAC of the timbre one for its RFC, so every
``Sello`` and ``SelloSAT`` verifies with the certificate printed beside it.

Those sandbox certificates are deterministic (same RFC and name, same bytes) and cheap: their
one RSA key is derived once per process from a fixed seed (~0.2 s), each certificate is then a
signature (~1 ms). Sharing the key is fine for a simulator whose every document says it has no
fiscal value; a real CSD brings its own key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["Signer", "csd_signer", "sandbox_signer"]

_SEED = b"gigstack-sandbox-seal-v1"
_E = 65537
_SMALL_PRIMES = [p for p in range(3, 1 << 13) if all(p % d for d in range(2, int(p**0.5) + 1))]
_WINDOW = 1 << 12
_VALID_FROM = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_VALID_UNTIL = dt.datetime(2035, 1, 1, tzinfo=dt.UTC)
_UNIQUE_ID = x509.ObjectIdentifier("2.5.4.45")  # where SAT writes the RFC


@dataclass(frozen=True)
class Signer:
    """A certificate and its key: what seals a CFDI (``repr`` never shows the key)."""

    number: str
    """SAT's 20-digit *número de certificado* (``NoCertificado``)."""
    certificate: bytes = field(repr=False)
    """DER."""
    key: rsa.RSAPrivateKey = field(repr=False, compare=False)
    self_signed: bool = False

    @property
    def certificate_base64(self) -> str:
        """``Certificado`` as the CFDI carries it."""
        return base64.b64encode(self.certificate).decode("ascii")

    def seal(self, cadena: str) -> str:
        """Base64 RSA-SHA256 (PKCS#1 v1.5) signature of the UTF-8 cadena original."""
        signature = self.key.sign(cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


def csd_signer(certificate_der: bytes, number: str, key: rsa.RSAPrivateKey) -> Signer:
    """The signer of an accepted CSD upload."""
    return Signer(number=number, certificate=certificate_der, key=key)


@cache
def sandbox_signer(rfc: str, name: str) -> Signer:
    """A self-signed certificate for ``rfc`` (subject as SAT writes a CSD's), deterministic."""
    key = _sandbox_key()
    number = "20001000000" + _digits(f"csd:{rfc}", 9)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name[:64] or rfc),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64] or rfc),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "gigstack sandbox"),
            x509.NameAttribute(_UNIQUE_ID, rfc),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(number.encode("ascii"), "big"))
        .not_valid_before(_VALID_FROM)
        .not_valid_after(_VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Signer(number=number, certificate=der, key=key, self_signed=True)


def _digits(seed: str, count: int) -> str:
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    return "".join(str(int(ch, 16) % 10) for ch in digest)[:count]


@cache
def _sandbox_key() -> rsa.RSAPrivateKey:
    """RSA-2048 from two primes found deterministically (``cryptography`` only makes random
    keys, which would change every seal on every start)."""
    p, q = _prime(b"p"), _prime(b"q")
    d = pow(_E, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(_E, p * q),
    )
    return numbers.private_key()


def _prime(label: bytes, bits: int = 1024) -> int:
    """The first probable prime at or after a seeded random start (sieve, then Miller-Rabin)."""
    for attempt in range(1, 1000):
        raw = hashlib.shake_256(_SEED + label + attempt.to_bytes(4, "big")).digest(bits // 8)
        start = int.from_bytes(raw, "big") | (3 << (bits - 2)) | 1
        composite = bytearray(_WINDOW)  # index i stands for start + 2 i
        for p in _SMALL_PRIMES:
            first = (-start * ((p + 1) // 2)) % p
            composite[first::p] = b"\x01" * len(range(first, _WINDOW, p))
        for i in range(_WINDOW):
            n = start + 2 * i
            if not composite[i] and (n - 1) % _E and _probably_prime(n):
                return n
    raise AssertionError("no prime found")  # pragma: no cover - needs ~10^-300 luck


def _probably_prime(n: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for base in (2, 3, 5, 7, 11, 13, 17, 19):
        x = pow(base, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True
