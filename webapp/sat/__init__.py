"""SAT documents a team or client uploads: CSD (.cer/.key) and CSF (PDF).

Pure library (no Flask): the sandbox uses it to accept or reject uploads like gigstack, the
dashboard to validate before sending. See ``shared/sat-test-certs/VALIDATION-NOTES.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .csd import CertificateInfo, CsdError, certificate_number, check_csd, read_certificate
    from .csf import CsfData, CsfError, parse_csf

# name -> its module, imported when first asked for: the CSD checks bring cryptography's x509
# and the CSF's pypdf (~20 MB together), which a worker needs only once a file is uploaded,
# while ``webapp.sat.rules`` is read by every sale form
_LAZY = {
    **dict.fromkeys(
        ("CertificateInfo", "CsdError", "certificate_number", "check_csd", "read_certificate"),
        "csd",
    ),
    **dict.fromkeys(("CsfData", "CsfError", "parse_csf"), "csf"),
}

__all__ = [
    "CertificateInfo",
    "CsdError",
    "CsfData",
    "CsfError",
    "certificate_number",
    "check_csd",
    "parse_csf",
    "read_certificate",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
