"""Invoices (CFDI income, egress, payment complements) and their files: REFERENCE §4, §11."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Unpack, cast

from ..errors import Forbidden, NotFound
from ..files import Download, build_zip, safe_stem
from ..pagination import Page
from .base import Item, ListParams, Resource, compact, list_query, seg

Kind = Literal["income", "egress", "payment"]
FileType = Literal["pdf", "xml"]
KINDS: tuple[str, ...] = ("income", "egress", "payment")
FILE_TYPES: tuple[FileType, ...] = ("pdf", "xml")


def normalize_invoice(invoice: Any) -> Any:
    """``uuid`` falls back to ``id`` (§13 #14); status ``stamped`` reads as ``valid`` (#15)."""
    if isinstance(invoice, dict):
        if not invoice.get("uuid") and invoice.get("id"):
            invoice["uuid"] = invoice["id"]
        if invoice.get("status") == "stamped":
            invoice["status"] = "valid"
    return invoice


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def _file_type(file_type: str) -> FileType:
    if file_type not in FILE_TYPES:
        raise ValueError(f"file_type must be pdf or xml, not {file_type!r}")
    return cast(FileType, file_type)


class Invoices(Resource):
    """``/invoices``: lists per kind, get, create income/egress, search, send, cancel, files."""

    transform = staticmethod(normalize_invoice)

    def _list_query(
        self,
        kind: Kind = "income",
        status: str | None = None,
        client_id: str | None = None,
        series: str | None = None,
        payment_method: str | None = None,
        invoice_id: str | None = None,
        **params: Unpack[ListParams],
    ) -> tuple[str, dict[str, Any]]:
        """``income``, ``egress`` or ``payment`` (complement) invoices.

        ``invoice_id`` (complements only) is the uuid of the PPD invoice they pay. The API may
        ignore ``payment_method`` (§13 #5): filter PPD locally too where it matters.
        """
        filters = {"status": status, "client_id": client_id, "series": series}
        query = list_query(params, **filters, payment_method=payment_method, invoice_id=invoice_id)
        return f"/invoices/{_kind(kind)}", query

    def get(self, uuid: str, kind: Kind = "income", *, team: str | None = None) -> Item:
        """One invoice by fiscal UUID; 404 when it is not of ``kind``."""
        return self._call(
            "GET", f"/invoices/{_kind(kind)}/{seg(uuid)}", team=team, transform=self.transform
        )

    def create_income(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Stamp an income CFDI; retried only when the body has an ``idempotency_key``."""
        return self._call(
            "POST", "/invoices/income", team=team, json=dict(data), transform=self.transform
        )

    def create_egress(self, data: Mapping[str, Any], *, team: str | None = None) -> Item:
        """Stamp a credit note (link the credited CFDI with relationship ``01``)."""
        return self._call(
            "POST", "/invoices/egress", team=team, json=dict(data), transform=self.transform
        )

    def search(self, q: str, limit: int | None = None, *, team: str | None = None) -> Page:
        """Search all kinds by uuid prefix, series+folio or client; one page, no ``next``."""
        return self._page("/invoices/search", compact(q=q, limit=limit), team, self.transform)

    def send(self, uuid: str, emails: list[str] | None = None, *, team: str | None = None) -> Item:
        """E-mail the PDF+XML (default recipients: the client's e-mail plus bcc)."""
        body = {"emails": list(emails)} if emails else {}
        return self._call("POST", f"/invoices/{seg(uuid)}/send", team=team, json=body)

    def cancel(
        self,
        uuid: str,
        motive: str,
        substitution_uuid: str | None = None,
        *,
        team: str | None = None,
    ) -> Item:
        """Cancel before SAT (DELETE with a JSON body); motive ``01`` needs the substitute."""
        body = compact(motive=motive, substitution_uuid=substitution_uuid)
        return self._call(
            "DELETE", f"/invoices/{seg(uuid)}", team=team, json=body, transform=self.transform
        )

    def files(
        self, uuid: str, file_type: FileType | None = None, *, team: str | None = None
    ) -> dict[str, str]:
        """Fresh signed URLs ``{pdf?, xml?}``; they expire quickly, so use them at once."""
        params = {"file_type": _file_type(file_type)} if file_type else {}
        data = self._call("GET", f"/invoices/{seg(uuid)}/files", team=team, params=params)
        if not isinstance(data, Mapping):
            return {}
        return {k: v for k, v in data.items() if k in FILE_TYPES and isinstance(v, str) and v}

    def download(self, url: str) -> Download:
        """Fetch a signed file URL WITHOUT the API key (the URL itself is the credential)."""
        return self._client.download(url)

    def download_file(
        self,
        uuid: str,
        file_type: FileType,
        *,
        links: Mapping[str, str] | None = None,
        team: str | None = None,
    ) -> Download:
        """Download the file at its link in ``links`` (from :meth:`files`, asked already —
        alongside other calls), else at a link asked now; an expired link (403) is re-asked
        once."""
        return self._download_fresh(uuid, _file_type(file_type), links, team)

    def _download_fresh(
        self, uuid: str, file_type: FileType, links: Mapping[str, str] | None, team: str | None
    ) -> Download:
        if links is None:
            links = self.files(uuid, file_type, team=team)
        url = links.get(file_type)
        if not url:
            raise NotFound(f"invoice has no {file_type} file", code="file_not_found")
        try:
            return self.download(url)
        except Forbidden:
            fresh = self.files(uuid, file_type, team=team)
            url = fresh.get(file_type)
            if not url:
                raise NotFound(f"invoice has no {file_type} file", code="file_not_found") from None
            return self.download(url)

    def downloads(self, uuid: str, *, team: str | None = None) -> dict[str, Download]:
        """Every file of the invoice (``pdf``, ``xml``) from one set of links."""
        links = self.files(uuid, team=team)
        if not links:
            raise NotFound("invoice has no files", code="file_not_found")
        return {
            file_type: self._download_fresh(uuid, file_type, links, team)
            for file_type in FILE_TYPES
            if file_type in links
        }

    def zip(self, uuid: str, *, team: str | None = None) -> bytes:
        """A ZIP with ``<uuid>.pdf`` and ``<uuid>.xml`` (no ZIP route exists, §13 #44)."""
        stem = safe_stem(uuid)
        return build_zip(
            {
                f"{stem}.{file_type}": download.content
                for file_type, download in self.downloads(uuid, team=team).items()
            }
        )
