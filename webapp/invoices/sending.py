"""Sending an invoice by e-mail: who it goes to."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from webapp.api import api
from webapp.gigstack import GigstackError


def known_addresses(invoice: dict[str, Any]) -> str:
    """The client's e-mail and bcc, as the form starts (upstream call: ``GET /clients/{id}``;
    the invoice's own copy of the e-mail is enough to start from if it fails)."""
    client_ref = invoice.get("client") or {}
    known = [client_ref.get("email")] if client_ref.get("email") else []
    if client_ref.get("id"):
        with suppress(GigstackError):
            known += api().clients.get(client_ref["id"]).get("bcc") or []
    return ", ".join(dict.fromkeys(e for e in known if e))


def recipients(result: dict[str, Any], asked: list[str]) -> list[str]:
    """Who gigstack says it sent to (else who was asked)."""
    return result.get("recipients") or asked
