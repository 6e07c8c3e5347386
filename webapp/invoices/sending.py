"""Sending an invoice by e-mail: who it goes to."""

from __future__ import annotations

from typing import Any

from webapp.api import api
from webapp.panels import Panel, panel


def known_addresses(invoice: dict[str, Any]) -> tuple[str, Panel[dict[str, Any]]]:
    """The client's e-mail and bcc, as the form starts (upstream call: ``GET /clients/{id}``),
    and that call as a panel: when it fails the form starts from the invoice's own copy of
    the e-mail and says the bcc could not be read, rather than leave it out unsaid."""
    client_ref = invoice.get("client") or {}
    known = [client_ref.get("email")] if client_ref.get("email") else []
    client = (
        panel(lambda: api().clients.get(client_ref["id"])) if client_ref.get("id") else Panel({})
    )
    known += (client.value or {}).get("bcc") or []
    return ", ".join(dict.fromkeys(e for e in known if e)), client


def recipients(result: dict[str, Any], asked: list[str]) -> list[str]:
    """Who gigstack says it sent to (else who was asked)."""
    return result.get("recipients") or asked
