"""The CSD checks' refusals in the operator's language (``webapp/sat/csd.py`` speaks the
API's English, as the sandbox answers with it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from webapp.formatting import local_date
from webapp.i18n import gettext as _

if TYPE_CHECKING:
    from webapp.sat.csd import CsdError

# the form field each multipart part is shown on
FIELD_OF_PART = {
    "cert": "certificate",
    "key": "private_key",
    "keyPass": "password",
    "password": "password",
}


def _day(value: object) -> str:
    return local_date(value) if isinstance(value, datetime) else str(value or "")


def csd_message(error: CsdError) -> str:
    """One clear sentence (two at most) saying what is wrong and what to do."""
    p = error.params
    messages = {
        "cert_missing": lambda: _("Choose the certificate file (.cer)."),
        "key_missing": lambda: _("Choose the private key file (.key)."),
        "password_missing": lambda: _("Type the password of the private key."),
        "too_large": lambda: _(
            "The file weighs %(size)s; the limit is %(limit)s. A SAT file "
            "weighs about 1.5 KB: check that you chose the right one.",
            size=p.get("size"),
            limit=p.get("limit"),
        ),
        "not_a_certificate": lambda: _(
            "This is not a SAT certificate (.cer in DER format). "
            "Check that you did not swap the .cer and the .key."
        ),
        "not_a_key": lambda: _(
            "This is not a SAT private key (.key, encrypted DER). Upload "
            "the .key exactly as SAT issued it."
        ),
        "key_algorithm": lambda: _(
            "The private key is encrypted in a way SAT does not use. Upload the original .key."
        ),
        "wrong_password": lambda: (
            _("The password does not open this private key. It is case-sensitive.")
            + (
                " " + _("Note: what you typed starts or ends with a space.")
                if p.get("spaces")
                else ""
            )
        ),
        "key_mismatch": lambda: _(
            "This private key does not belong to this certificate. "
            "Upload the .key issued together with the .cer."
        ),
        "fiel": lambda: _(
            "This is an e.firma (FIEL), not a CSD. The e.firma cannot seal "
            "invoices: request a CSD in SAT's CertiSAT and upload its .cer and "
            ".key."
        ),
        "not_sat": lambda: _(
            "This certificate was not issued by SAT (issuer: %(issuer)s).",
            issuer=p.get("issuer") or "?",
        ),
        "no_rfc": lambda: _("The certificate carries no RFC: it is not a SAT CSD."),
        "not_yet_valid": lambda: _(
            "The certificate is not valid yet: it starts on %(day)s.", day=_day(p.get("starts"))
        ),
        "expired": lambda: _(
            "The certificate expired on %(day)s. Upload a current CSD.", day=_day(p.get("ended"))
        ),
        "other_rfc": lambda: _(
            "The certificate belongs to RFC %(rfc)s, but this team's RFC is %(expected)s.",
            rfc=p.get("rfc"),
            expected=p.get("expected"),
        ),
    }
    produce = messages.get(error.reason)
    return produce() if produce else error.message
