"""Invoices of a team (REFERENCE §4, §11): lists per type with filters, search, detail and
downloads. Mounted at ``/teams/<team_id>/invoices``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import catalogs
from webapp.api import api
from webapp.audit import record
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.catalogs import sat
from webapp.formatting import day_bound
from webapp.gigstack import GigstackError
from webapp.gigstack.errors import Conflict, NotFound, ValidationError
from webapp.gigstack.files import build_zip, safe_stem
from webapp.pages import apply_api_errors, form_failed, list_url, navigate, render_page
from webapp.parallel import gather
from webapp.teams.details import team_details
from webapp.teams.scoped import current_team_id, team_blueprint

from .forms import MOTIVE_HELP, CancelForm, InvoiceFilterForm, SendForm

bp = team_blueprint("invoices", __name__, "/invoices")

PAGE_SIZE = 25
SEARCH_LIMIT = 100
KINDS = {"income": "I", "egress": "E", "payment": "P"}
SORTS = {
    "-created": ("timestamp", "desc"),
    "created": ("timestamp", "asc"),
    "name": ("name", "asc"),
    "-name": ("name", "desc"),
}
TAB_LABELS = (
    ("income", _l("Income (I)")),
    ("egress", _l("Egress (E)")),
    ("payment", _l("Payment complements (P)")),
)
MEDIA = {"pdf": "application/pdf", "xml": "application/xml", "zip": "application/zip"}


def _list(kind: str):
    """Upstream calls: one page of ``GET /invoices/{kind}`` (filters, sort and cursor in the
    URL; PPD filtered here too, the API may ignore it); with a text, one
    ``GET /invoices/search`` (up to 100, every type, said when more matched)."""
    form = InvoiceFilterForm(request.args)
    form.validate()
    text = "" if form.q.errors else (form.q.data or "").strip()
    order = SORTS.get(form.sort.data or "-created", SORTS["-created"])
    cursor = request.args.get("next") or None
    client = api()
    more_matched = False
    if text:
        found = client.invoices.search(text, limit=SEARCH_LIMIT)
        rows, more_matched = list(found), bool(found.has_more)
        total, links = len(rows), {"first": None, "next": None}
    else:
        params: dict[str, Any] = {}
        if not form.date_from.errors and form.date_from.data:
            params["created_gte"] = day_bound(form.date_from.data)
        if not form.date_to.errors and form.date_to.data:
            params["created_lte"] = day_bound(form.date_to.data, end=True)
        method = form.payment_method.data if kind != "payment" else None
        page = client.invoices.list(
            kind,
            status=form.status.data or None,
            client_id=form.client_id.data or None,
            series=form.series.data or None,
            payment_method=method or None,
            limit=PAGE_SIZE,
            next=cursor,
            order_by=order[0],
            sort=order[1],
            **params,
        )
        rows = [r for r in page if not method or r.get("payment_method") == method]
        total = page.total_results
        links = {
            "first": list_url("next") if cursor else None,
            "next": list_url("next", page.next) if page.has_more and page.next else None,
        }
    tabs = [(url_for_kind(name), label, None, name == kind) for name, label in TAB_LABELS]
    return render_page(
        "invoices/page.html",
        "invoices/_rows.html",
        form=form,
        rows=rows,
        total=total,
        links=links,
        kind=kind,
        tabs=tabs,
        more_matched=more_matched,
        search_limit=SEARCH_LIMIT,
    )


def url_for_kind(kind: str) -> str:
    return url_for(
        {"income": "invoices.index", "egress": "invoices.egress", "payment": "invoices.payment"}[
            kind
        ]
    )


@bp.get("/")
@requires(Role.VIEWER)
def index():
    return _list("income")


@bp.get("/egress/")
@requires(Role.VIEWER)
def egress():
    return _list("egress")


@bp.get("/payment/")
@requires(Role.VIEWER)
def payment():
    return _list("payment")


def find_invoice(uuid: str) -> dict[str, Any]:
    """The invoice with this UUID, whatever its type (the three gets run at once)."""
    return find_invoice_with(uuid)[0]


def find_invoice_with(uuid: str, *also: Callable[[], Any]) -> tuple[dict[str, Any], list[Any]]:
    """The invoice, and the results of ``also`` — calls that do not need the invoice, run in
    the same round as the three typed gets (one round trip instead of two)."""
    client = api()

    def get(kind: str):
        try:
            return client.invoices.get(uuid, kind)
        except NotFound:
            return None

    results = gather(*[lambda k=k: get(k) for k in KINDS], *also)
    found = next((inv for inv in results[: len(KINDS)] if inv), None)
    if found is None:
        abort(404)
    return found, results[len(KINDS) :]


def _kind_of(invoice: dict[str, Any]) -> str:
    return {"I": "income", "E": "egress", "P": "payment"}.get(invoice.get("invoice_type"), "income")


@bp.get("/<uuid>")
@requires(Role.VIEWER)
def show(uuid: str):
    """Upstream calls, all at once: ``GET /invoices/{income|egress|payment}/{uuid}`` and
    ``GET /invoices/payment?invoice_id=`` (the complements, shown for a PPD invoice). Catalogue
    names are local data; the audit trail is the back office's own."""
    client = api()

    def complements_of() -> list[dict[str, Any]]:
        try:  # asked for every invoice so it runs alongside; only a PPD one shows it
            return list(client.invoices.list("payment", invoice_id=uuid, limit=100))
        except GigstackError:
            return []

    invoice, (complements,) = find_invoice_with(uuid, complements_of)
    if invoice.get("payment_method") != "PPD":
        complements = []
    trail = audit_trail("invoice", invoice["uuid"], current_team_id())
    return render_page(
        "invoices/show.html",
        "invoices/_detail.html",
        invoice=invoice,
        complements=complements,
        trail=trail,
        product=sat.product_key,
        unit=sat.unit_key,
    )


def download_name(invoice: dict[str, Any], issuer_rfc: str, extension: str) -> str:
    """``<RFC emisor>_<series><folio>_<UUID>.<ext>``."""
    folio = f"{invoice.get('series') or ''}{invoice.get('folio_number') or ''}"
    return safe_stem(f"{issuer_rfc or 'RFC'}_{folio}_{invoice['uuid']}") + f".{extension}"


@bp.get("/<uuid>/<any(pdf, xml, zip):file_type>")
@requires(Role.VIEWER)
def download(uuid: str, file_type: str):
    """The PDF, the XML (byte for byte what gigstack returned) or a ZIP of both, under a good
    name. Upstream calls: the invoice with the team (cached) at once, ``GET
    /invoices/{uuid}/files`` and the signed file URL(s) — fetched here, never handed to the
    browser; an expired link is asked again once."""
    client, team_id = api(), current_team_id()
    invoice, (team,) = find_invoice_with(uuid, lambda: team_details(client, team_id))
    issuer = team.get("tax_id") or ""
    if file_type == "zip":
        content = build_zip(
            {
                download_name(invoice, issuer, kind): got.content
                for kind, got in client.invoices.downloads(invoice["uuid"]).items()
            }
        )
    else:
        content = client.invoices.download_file(invoice["uuid"], file_type).content
    name = download_name(invoice, issuer, file_type)
    return Response(
        content,
        mimetype=MEDIA[file_type],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/<uuid>/send", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def send(uuid: str):
    """Recipients pre-filled from the client (e-mail and bcc), each address checked here.
    Upstream calls: the invoice and ``GET /clients/{id}``; on send ``POST /invoices/{uuid}/send``.
    """
    invoice = find_invoice(uuid)
    client_ref = invoice.get("client") or {}
    form = SendForm()
    if not form.is_submitted():
        known = [client_ref.get("email")] if client_ref.get("email") else []
        if client_ref.get("id"):
            # the invoice's own copy of the e-mail is enough to start from if this fails
            with suppress(GigstackError):
                known += api().clients.get(client_ref["id"]).get("bcc") or []
        form.emails.data = ", ".join(dict.fromkeys(e for e in known if e))
    context = {"form": form, "invoice": invoice}
    if not form.is_submitted():
        return render_page("invoices/send.html", "invoices/_send.html", **context)
    if not form.validate():
        return form_failed("invoices/send.html", "invoices/_send.html", "send-form", **context)
    try:
        result = api().invoices.send(invoice["uuid"], form.addresses())
    except ValidationError as error:
        record("invoice.send", object_type="invoice", object_id=invoice["uuid"], outcome=error.code)
        unplaced = apply_api_errors(form, error)
        return form_failed(
            "invoices/send.html",
            "invoices/_send.html",
            "send-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    recipients = result.get("recipients") or form.addresses()
    record(
        "invoice.send",
        object_type="invoice",
        object_id=invoice["uuid"],
        reason="to " + ", ".join(recipients),
    )
    return render_page("invoices/send.html", "invoices/_send.html", sent=recipients, **context)


def _substitutes(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """Valid invoices of the same client and type (not this one): what motive 01 can name."""
    client_id = (invoice.get("client") or {}).get("id")
    if not client_id:
        return []
    page = api().invoices.list(_kind_of(invoice), status="valid", client_id=client_id, limit=100)
    return [inv for inv in page if inv.get("uuid") != invoice["uuid"]]


@bp.route("/<uuid>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(uuid: str):
    """Motive 01–04 each explained; 01 names a valid substitute of the same client; a reason;
    in live mode the series-folio typed. Upstream calls: the invoice, the client's valid
    invoices (for 01); on confirm ``DELETE /invoices/{uuid}``."""
    invoice = find_invoice(uuid)
    live = api().key_info.is_live
    folio = f"{invoice.get('series') or ''}-{invoice.get('folio_number') or ''}"
    form = CancelForm()
    form.motive.choices = [("", _("Choose a motive"))] + [
        (m["code"], f"{m['code']} — {m['name']}") for m in catalogs.entries("cancellation_motives")
    ]
    substitutes = _substitutes(invoice) if invoice.get("status") == "valid" else []
    form.substitution_uuid.choices = [("", _("Choose the invoice that replaces it"))] + [
        (
            s["uuid"],
            f"{s.get('series') or ''}-{s.get('folio_number') or ''} · "
            f"{s.get('total')} · {s['uuid'][:8]}",
        )
        for s in substitutes
    ]
    context = {
        "form": form,
        "invoice": invoice,
        "live": live,
        "folio": folio,
        "motive_help": MOTIVE_HELP,
    }
    if not form.is_submitted():
        # back from issuing the substitute: motive 01 with it chosen
        if request.args.get("motive") in {
            m["code"] for m in catalogs.entries("cancellation_motives")
        }:
            form.motive.data = request.args["motive"]
        form.substitution_uuid.data = request.args.get("substitute") or ""
        return render_page("invoices/cancel.html", "invoices/_cancel.html", **context)
    if invoice.get("status") != "valid":  # cancelled in another tab meanwhile: say so
        return form_failed(
            "invoices/cancel.html", "invoices/_cancel.html", "cancel-form", **context
        )
    form.validate()
    if form.motive.data not in {m["code"] for m in catalogs.entries("cancellation_motives")}:
        form.motive.errors = [*form.motive.errors, _("Choose a motive from the list.")]
    if form.motive.data == "01" and not form.substitution_uuid.data:
        form.substitution_uuid.errors = [
            _(
                "Motive 01 needs the invoice that replaces this "
                "one. Issue it first, then choose it here."
            )
        ]
    if live and (form.confirm_folio.data or "").strip().upper() != folio.upper():
        form.confirm_folio.errors = [_("Type %(folio)s to confirm.", folio=folio)]
    if form.errors:
        return form_failed(
            "invoices/cancel.html", "invoices/_cancel.html", "cancel-form", **context
        )
    substitute = form.substitution_uuid.data if form.motive.data == "01" else None
    try:
        cancelled = api().invoices.cancel(invoice["uuid"], form.motive.data, substitute)
    except (ValidationError, Conflict) as error:
        record(
            "invoice.cancel",
            object_type="invoice",
            object_id=invoice["uuid"],
            outcome=error.code,
            reason=form.reason.data,
        )
        unplaced = apply_api_errors(form, error, {"replacement": "substitution_uuid"})
        return form_failed(
            "invoices/cancel.html",
            "invoices/_cancel.html",
            "cancel-form",
            error=" ".join(unplaced) or error.message,
            **context,
        )
    record(
        "invoice.cancel",
        object_type="invoice",
        object_id=invoice["uuid"],
        reason=f"motive {form.motive.data}"
        + (f", substitute {substitute}" if substitute else "")
        + f": {form.reason.data}",
    )
    flash(
        _(
            "Invoice %(folio)s cancelled: SAT status %(status)s.",
            folio=folio,
            status=cancelled.get("cancellation_status") or "—",
        ),
        "info",
    )
    return navigate(url_for("invoices.show", uuid=invoice["uuid"]))
