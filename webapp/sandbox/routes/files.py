"""File downloads from signed links (REFERENCE §11.2), served at the origin, outside /v2.

No API key: the signed, short-lived link is the credential. Files are rendered on the fly
from the stored invoice, so a cancelled invoice's PDF shows it as cancelled.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..documents import render_invoice_pdf, render_invoice_xml
from ..errors import ApiError
from ..invoicing import for_render
from ..invoicing_files import open_link
from ..store import Store, settle

bp = Blueprint("files", __name__, url_prefix="")

_MIME = {"pdf": "application/pdf", "xml": "application/xml"}


@bp.get("/files/<token>")
def download_file(token: str):
    store: Store = current_app.config["SANDBOX_STORE"]
    uuid, kind = open_link(store, token, request.args.get("expires"), request.args.get("signature"))
    invoice = store.objects["invoices"].get(uuid)
    if invoice is None:
        raise ApiError("file_not_found", "File not found")
    team = store.teams.get(invoice["team"]) or {}
    render = render_invoice_pdf if kind == "pdf" else render_invoice_xml
    body = render(for_render(settle(invoice)), team)
    response = Response(body, status=200, mimetype=_MIME[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice["uuid"]}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
