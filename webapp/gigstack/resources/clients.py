"""Clients (customers / receivers): REFERENCE §2."""

from __future__ import annotations

from typing import Any

from ..pagination import Page
from .base import CrudResource, Item, Upload, compact, read_upload, seg

#: Inferred path (REFERENCE §2.10, §13 #30): no source names it, so it lives only here.
CSF_UPLOAD_PATH = "/clients/csf"


class Clients(CrudResource):
    """``/clients``: list, search, CRUD, SAT validation, portal links, CSF upload."""

    path = "/clients"

    def search(self, q: str, limit: int | None = None, *, team: str | None = None) -> Page:
        """Substring search on name, legal name, e-mail or RFC; one page, never a ``next``."""
        return self._page("/clients/search", compact(q=q, limit=limit), team)

    def validate(self, id: str, *, team: str | None = None) -> Item:
        """Re-run the SAT check; returns the client with fresh ``is_valid`` / ``efos``."""
        return self._call("POST", f"/clients/validate/{seg(id)}", team=team, json={})

    def portal_link(
        self, id: str | None = None, email: str | None = None, *, team: str | None = None
    ) -> Item:
        """Customer-portal link ``{url, expires_at}`` by client id or e-mail (a credential)."""
        if not id and not email:
            raise ValueError("portal_link needs a client id or an email")
        body: dict[str, Any] = {"id": id} if id else {"email": email}
        return self._call("POST", "/clients/customerportal", team=team, json=body)

    def stamp_pending_receipts(self, id: str, *, team: str | None = None) -> Item:
        """Stamp up to 100 pending receipts: ``{stamped, failed, remaining, results}``."""
        return self._call("POST", f"/clients/{seg(id)}/stamp-pending-receipts", team=team, json={})

    def upload_csf(
        self,
        pdf: Upload,
        client_id: str | None = None,
        filename: str = "csf.pdf",
        *,
        team: str | None = None,
    ) -> Item:
        """Create or update a client from a SAT Constancia de Situación Fiscal PDF."""
        content = read_upload(pdf)
        return self._call(
            "POST",
            CSF_UPLOAD_PATH,
            team=team,
            params=compact(client_id=client_id),
            files={"file": (filename, content, "application/pdf")},
        )
