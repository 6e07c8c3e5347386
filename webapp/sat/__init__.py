"""SAT documents a team or client uploads: CSD (.cer/.key) and CSF (PDF).

Pure library (no Flask): the sandbox uses it to accept or reject uploads like gigstack, the
dashboard to validate before sending. See ``shared/sat-test-certs/VALIDATION-NOTES.md``.
"""

from .csd import CertificateInfo, CsdError, certificate_number, check_csd, read_certificate
from .csf import CsfData, CsfError, parse_csf

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
