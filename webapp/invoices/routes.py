"""Invoices of a team (REFERENCE §4, §11): lists per type with filters, search, detail and
downloads. Mounted at ``/teams/<team_id>/invoices``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Response, abort, request, url_for

from webapp.actions import (
    NO_LINKS,
    NOT_FOUND_OR_REFUSED,
    Screen,
    confirmation,
    cursor_links,
    get_or_404,
    perform,
    verb_screen,
)
from webapp.api import api
from webapp.audit import Detail
from webapp.audit.details import CREDIT_NOTE as CREDIT_NOTE_ISSUED
from webapp.audit.details import INVOICE_SENT
from webapp.audit.query import trail as audit_trail
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.catalogs import sat
from webapp.formatting import money
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.gigstack.files import build_zip, safe_stem
from webapp.gigstack.resources.invoices import FILE_TYPES
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l
from webapp.pages import render_page
from webapp.parallel import gather
from webapp.sales import context as sale
from webapp.sales.lists import created_between
from webapp.teams.details import team_details
from webapp.teams.scoped import current_team_id, team_blueprint

from . import cancellation, complement, issue
from .credit_note import credit_form, credit_totals, creditable, credited_items, note_body, problems
from .forms import MOTIVE_HELP, EgressForm, InvoiceFilterForm, InvoiceForm, SendForm
from .lookup import (
    cancellation_status,
    document_name,
    document_url,
    find_invoice,
    find_invoice_with,
    folio_of,
    invoice_status,
    kind_from_link,
    kind_of,
    link_kind,
    type_name,
)
from .relations import complements_of, relations_of
from .sending import known_addresses, recipients
from .series import credit_note_choices

bp = team_blueprint(
    "invoices",
    __name__,
    "/invoices",
    verbs=(
        "egress",
        "payment",
        "download",
        "send",
        "cancel",
        "credit_note",
        "new_egress",
        "relations",
    ),
)
bp.add_app_template_filter(link_kind, "invoice_kind")
bp.add_app_template_filter(type_name, "document_type")
bp.add_app_template_filter(document_name, "document_name")
bp.add_app_template_global(invoice_status, "invoice_status")
bp.add_app_template_global(cancellation_status, "cancellation_status")
bp.add_app_template_global(complement.tax_name, "complement_tax")
bp.add_app_template_global(complement.sat_totals, "complement_totals")

PAGE_SIZE = 25
SEARCH_LIMIT = 100
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
    text = search_text(form)
    cursor = request.args.get("next") or None
    client = api()
    more_matched = False
    if text:
        found = client.invoices.search(text, limit=SEARCH_LIMIT)
        rows, more_matched = list(found), bool(found.has_more)
        total, links = len(rows), NO_LINKS
    else:
        filters = list_filters(form, kind)
        page = client.invoices.list(kind, limit=PAGE_SIZE, next=cursor, **filters)
        rows = [r for r in page if matches(r, filters)]
        total = page.total_results
        links = cursor_links(page, cursor)
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


def search_text(form: InvoiceFilterForm) -> str:
    """The list's search text (``GET /invoices/search`` instead of the list), if any."""
    return "" if form.q.errors else (form.q.data or "").strip()


def list_filters(form: InvoiceFilterForm, kind: str) -> dict[str, Any]:
    """The ``GET /invoices/{kind}`` filters and order of a list's URL (what a bulk action on
    "all matching" walks too)."""
    order = SORTS.get(form.sort.data or "-created", SORTS["-created"])
    method = form.payment_method.data if kind != "payment" else None
    found = {
        "status": form.status.data or None,
        "client_id": form.client_id.data or None,
        "series": form.series.data or None,
        "payment_method": method or None,
        "order_by": order[0],
        "sort": order[1],
        **created_between(form),
    }
    return {name: value for name, value in found.items() if value is not None}


def matches(invoice: dict[str, Any], filters: dict[str, Any]) -> bool:
    """PPD or PUE filtered here too (the API may ignore it)."""
    method = filters.get("payment_method")
    return not method or invoice.get("payment_method") == method


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


@bp.get("/<uuid>")
@requires(Role.VIEWER)
def show(uuid: str):
    """Upstream calls: ``GET /invoices/{income|egress|payment}/{uuid}`` (only the link's type
    when it says it, else the three at once). The related documents are a lazy panel
    (:func:`relations`); catalogue names are local data; the audit trail is the back
    office's own."""
    invoice = find_invoice_with(uuid, kind=kind_from_link())[0]
    return render_page("invoices/show.html", "invoices/_detail.html", **_detail(invoice))


def _detail(invoice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "invoice": invoice,
        "invoice_kind": kind_of(invoice),
        "trail": audit_trail("invoice", invoice["uuid"], current_team_id()),
        "product": sat.product_key,
        "unit": sat.unit_key,
        **extra,
    }


@bp.get("/<uuid>/relations")
@requires(Role.VIEWER)
def relations(uuid: str):
    """The documents related to this one, both ways (the detail's lazy panel
    ``#invoice-relations``; a page of its own without JavaScript). Upstream calls: the invoice
    and, for an income one, its complements at once; then, at once, the client's income and
    egress invoices (see :mod:`webapp.invoices.relations`)."""
    client, kind = api(), kind_from_link()
    paying = [lambda: complements_of(client, uuid)] if kind == "income" else []
    invoice, found = find_invoice_with(uuid, *paying, kind=kind)
    context = {
        "invoice": invoice,
        "relations": relations_of(invoice, found[0] if found else None)[0],
        "title": document_name(invoice),
        "back": {
            "url": url_for("invoices.show", uuid=invoice["uuid"], type=kind_of(invoice)),
            "label": document_name(invoice),
        },
    }
    return RELATIONS.show(**context)


RELATIONS = verb_screen("invoices/_relations.html", "invoice-relations")


def download_name(invoice: dict[str, Any], issuer_rfc: str, extension: str) -> str:
    """``<RFC emisor>_<series><folio>_<UUID>.<ext>``."""
    folio = f"{invoice.get('series') or ''}{invoice.get('folio_number') or ''}"
    return safe_stem(f"{issuer_rfc or 'RFC'}_{folio}_{invoice['uuid']}") + f".{extension}"


@bp.get("/<uuid>/<any(pdf, xml, zip):file_type>")
@requires(Role.VIEWER)
def download(uuid: str, file_type: str):
    """The PDF, the XML (byte for byte what gigstack returned) or a ZIP of both, under a good
    name. Upstream calls, in one round: the invoice (one typed get when the link says its
    ``type``, else the three), the team (cached) and ``GET /invoices/{uuid}/files``; then the
    file(s) at the signed URL(s), fetched here and never handed to the browser (an expired
    link is asked again once). gigstack knowing no such invoice (of that type): not found."""
    client, team_id = api(), current_team_id()
    wanted = None if file_type == "zip" else file_type
    invoice, (links, team) = find_invoice_with(
        uuid,
        lambda: get_or_404(client.invoices.files, uuid, wanted, missing=NOT_FOUND_OR_REFUSED),
        lambda: team_details(client, team_id),
        kind=kind_from_link(),
    )
    issuer = team.get("tax_id") or ""
    if file_type == "zip":
        kinds = [kind for kind in FILE_TYPES if kind in links]
        got = gather(
            *[lambda k=k: client.invoices.download_file(uuid, k, links=links) for k in kinds]
        )
        if not got:
            abort(404)
        content = build_zip(
            {
                download_name(invoice, issuer, k): file.content
                for k, file in zip(kinds, got, strict=True)
            }
        )
    else:
        content = client.invoices.download_file(uuid, file_type, links=links).content
    name = download_name(invoice, issuer, file_type)
    return Response(
        content,
        mimetype=MEDIA[file_type],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


SEND = verb_screen("invoices/_send.html", "send-form")


@bp.route("/<uuid>/send", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def send(uuid: str):
    """Recipients pre-filled from the client (e-mail and bcc), each address checked here.
    Upstream calls: the invoice and ``GET /clients/{id}``; on send ``POST /invoices/{uuid}/send``.
    """
    invoice = find_invoice(uuid)
    form = SendForm()
    context = {
        "form": form,
        "invoice": invoice,
        "title": _("Send invoice %(folio)s", folio=folio_of(invoice)),
        "tab_title": _("Send by e-mail"),
    }
    if not form.is_submitted():
        form.emails.data, client = known_addresses(invoice)
        return SEND.show(client=client, **context)
    return perform(
        form,
        lambda: api().invoices.send(invoice["uuid"], form.addresses()),
        screen=SEND,
        context=context,
        audit="invoice.send",
        object_id=invoice["uuid"],
        detail=lambda result: Detail(
            INVOICE_SENT, addresses=", ".join(recipients(result, form.addresses()))
        ),
        refused=sale.refused_with(),
        message=lambda result: confirmation(
            _("%(name)s sent to %(to)s."),
            document_name(invoice),
            document_url(invoice),
            to=", ".join(recipients(result, form.addresses())),
        ),
        then=lambda result: (SEND.show(sent=recipients(result, form.addresses()), **context), 200),
    )


CANCEL = verb_screen("invoices/_cancel.html", "cancel-form")


@bp.route("/<uuid>/cancel", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def cancel(uuid: str):
    """Motive 01–04 each explained; 01 names a valid substitute of the same client; a reason;
    in live mode the series-folio typed; valid credit notes or complements listed, and the
    cancellation confirmed despite them. Upstream calls: the invoice (and, income, its
    complements) at once; then at once the client's valid invoices of its type (for 01) and
    its relations (:mod:`.relations`); on confirm ``DELETE /invoices/{uuid}``."""
    client, kind = api(), kind_from_link()
    paying = [lambda: complements_of(client, uuid)] if kind == "income" else []
    invoice, found = find_invoice_with(uuid, *paying, kind=kind)
    relations, (substitutes,) = relations_of(
        invoice, found[0] if found else None, lambda: cancellation.substitutes(client, invoice)
    )
    standing = relations.still_valid() if invoice.get("status") == "valid" else []
    live, folio = client.key_info.is_live, folio_of(invoice)
    form = cancellation.cancel_form(substitutes)
    context = {"form": form, "invoice": invoice, "live": live, "folio": folio}
    context |= {"motive_help": MOTIVE_HELP, "standing": standing, "unread": relations.failure}
    context |= {"title": _("Cancel %(document)s", document=document_name(invoice))}
    context["tab_title"] = context["title"]
    if not form.is_submitted():
        return CANCEL.show(**context)
    # cancelled in another tab meanwhile (the fragment says so), or the form refused
    if invoice.get("status") != "valid" or not cancellation.checked(form, live, folio, standing):
        return CANCEL.failed(**context)
    return perform(
        form,
        lambda: client.invoices.cancel(
            invoice["uuid"], form.motive.data, cancellation.substitute_of(form)
        ),
        screen=CANCEL,
        context=context,
        validate=False,
        audit="invoice.cancel",
        object_id=invoice["uuid"],
        detail=cancellation.cancel_detail(form, standing),
        refusals=(ValidationError, Conflict),
        refused=sale.refused_with({"replacement": "substitution_uuid"}),
        message=lambda cancelled: confirmation(
            _("%(name)s cancelled: SAT status %(status)s."),
            document_name(invoice),
            document_url(invoice),
            status=cancellation_status(cancelled) or "—",
        ),
        then=url_for("invoices.show", uuid=invoice["uuid"], type=kind_of(invoice)),
    )


NEW = Screen("invoices/new.html", "invoices/_form.html", "invoice-form")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls, at once: the team (cached), its series, up to 100 services, and the
    chosen client; on stamp ``POST /invoices/income`` with the form's idempotency key."""
    return _issue(InvoiceForm(), "income")


@bp.route("/egress/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new_egress():
    """A free egress invoice (audited as ``invoice.create``, as any invoice issued). Upstream
    calls as :func:`new`; on stamp ``POST /invoices/egress`` with the form's idempotency key
    (a credit note of one invoice: ``credit_note``)."""
    return _issue(EgressForm(), "egress")


def _issue(form: InvoiceForm, kind: str):
    """The invoice form of both kinds: the draft, the pre-stamp report, stamped once."""
    client_api, team_id = api(), current_team_id()
    draft = sale.draft(
        form,
        issue.prefill,
        lambda: team_details(client_api, team_id),
        lambda: client_api.teams.series(team_id),
    )
    (team, series), live = draft.extras, client_api.key_info.is_live
    series_hint = issue.set_choices(form, draft.client, series, team)
    blocking, warnings = issue.report(form, draft.client, draft.items, team)
    draft.unknown_client(form.client_id.data)
    form_action = url_for("invoices.new_egress" if kind == "egress" else "invoices.new")
    context = draft.context(blocking=blocking, warnings=warnings, live=live, kind=kind)
    context["series_hint"] = series_hint
    context["form_action"] = form_action
    if request.method == "GET" or draft.action != "stamp":
        return sale.show(NEW, context, draft.redrawn)
    if not form.validate() or blocking:
        return NEW.failed(error=_("Nothing was stamped: fix what the report lists."), **context)
    if live and not form.confirm_live.data:
        form.confirm_live.errors = [_("Confirm the client and the total of this live invoice.")]
        return NEW.failed(**context)
    stamp = (
        client_api.invoices.create_egress if kind == "egress" else client_api.invoices.create_income
    )
    return sale.create(
        form,
        lambda: stamp(issue.body(form, draft.client, draft.items)),
        screen=NEW,
        context=context,
        aliases=issue.related_aliases,
        document="invoice",
        audit="invoice.create",
        object_type="invoice",
        object_id=lambda invoice: invoice["uuid"],
        detail=partial(issue.audit_detail, kind=kind),
        message=lambda invoice: confirmation(
            _("%(name)s issued."), document_name(invoice), document_url(invoice)
        ),
        then=partial(issue.issued, replaces=issue.replaced(form)),
    )


CREDIT_NOTE = verb_screen("invoices/_credit_note.html", "credit-note-form")


@bp.route("/<uuid>/credit-note", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def credit_note(uuid: str):
    """A valid income invoice only; the series gigstack would take said before issuing.
    Upstream calls, at once: the invoice, the team (cached) and its series; on issue ``POST
    /invoices/egress`` with relationship 01 and the form's idempotency key. The audit row is
    the credit note's (its trail starts with its creation), naming the invoice it credits."""
    client, team_id = api(), current_team_id()
    found, (team, series) = find_invoice_with(
        uuid,
        lambda: team_details(client, team_id),
        lambda: client.teams.series(team_id),
        kind=kind_from_link(),
    )
    invoice = creditable(found)
    form = credit_form(invoice)
    form.series.choices, series_hint = credit_note_choices(team, series)
    items = credited_items(invoice, form)
    blocking = problems(invoice, form, items)
    context = {"form": form, "invoice": invoice, "blocking": blocking, "series_hint": series_hint}
    context |= {"totals": credit_totals(items), "tab_title": _("Credit note")}
    context["title"] = _("Credit note for %(document)s", document=document_name(invoice))
    if request.method == "GET" or request.form.get("action") != "issue":
        return CREDIT_NOTE.show(**context)
    if not form.validate() or blocking:
        return CREDIT_NOTE.failed(error=_("The credit note was not issued."), **context)
    return sale.create(
        form,
        lambda: client.invoices.create_egress(note_body(invoice, form, items)),
        screen=CREDIT_NOTE,
        context=context,
        document="credit_note",
        audit="invoice.credit_note",
        object_type="invoice",
        object_id=lambda note: note["uuid"],
        failed_id=invoice["uuid"],
        detail=lambda note: Detail(
            CREDIT_NOTE_ISSUED,
            note=folio_of(note),
            invoice=folio_of(invoice),
            uuid=invoice["uuid"],
            amount=money(note.get("total"), note.get("currency") or "MXN"),
        ),
        message=lambda note: confirmation(
            _("%(name)s issued for %(invoice)s."),
            document_name(note),
            document_url(note),
            invoice=document_name(invoice),
        ),
        then=lambda note: url_for("invoices.show", uuid=note["uuid"], type="egress"),
    )
