"""Clients of a team (REFERENCE §2): list, search, filters, CSV, detail with its documents,
validate, customer-portal link, stamp pending receipts, create, edit, delete.

Mounted at ``/teams/<team_id>/clients``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user

from webapp import catalogs, once
from webapp.actions import (
    NO_LINKS,
    Screen,
    changed_reason,
    confirmation,
    get_or_404,
    page_or_walk,
    perform,
    verb_screen,
    walk,
)
from webapp.api import api
from webapp.audit import Detail, record
from webapp.audit.details import CLIENT_EXPORT, CLIENT_INVALID, CLIENT_VALID, JOB_CLIENT, LINK_SHOWN
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.bulk.pending import CLIENT_RECEIPTS
from webapp.domain.rfc import GENERIC_RFCS, rfc_person, rfc_problem
from webapp.exports import csv_response
from webapp.forms import CreateForm
from webapp.gigstack.errors import Conflict, ValidationError
from webapp.i18n import gettext as _
from webapp.jobs import lifecycle
from webapp.pages import list_url, navigate, render_page
from webapp.panels import panel
from webapp.parallel import gather
from webapp.search import lists
from webapp.search.forms import SyncForm
from webapp.search.models import SearchEntry
from webapp.teams.scoped import current_team_id, team_blueprint

from . import csf_upload
from .forms import (
    ClientDeleteForm,
    ClientFilterForm,
    ClientForm,
    client_payload,
    emptied,
    form_data,
)

bp = team_blueprint(
    "clients",
    __name__,
    "/clients",
    verbs=(
        "picks",
        "export_csv",
        "validate",
        "portal_link",
        "stamp_pending_receipts",
        "upload_csf",
        "update_csf",
        "confirm_csf",
    ),
)

PAGE_SIZE = 25
SEARCH_LIMIT = 100  # the search endpoint's most per call; it never pages (§2.2)
WALK_LIMIT = 5000  # clients the CSV export walks when a filter the API lacks is applied
PANEL_SIZE = 5
SORTS = {
    "-created": {"order_by": "timestamp", "sort": "desc"},
    "created": {"order_by": "timestamp", "sort": "asc"},
    "name": {"order_by": "name", "sort": "asc"},
    "-name": {"order_by": "name", "sort": "desc"},
}
CSV_COLUMNS = (
    "id",
    "name",
    "legal_name",
    "rfc",
    "regime",
    "use",
    "email",
    "phone",
    "postal_code",
    "sat_check",
    "efos",
    "created",
)


def _criteria(form: ClientFilterForm) -> tuple[str, dict[str, str], dict[str, str]]:
    """The list's search text, the filters gigstack's list lacks, and the order (from the URL)."""
    form.validate()
    query = "" if form.q.errors else (form.q.data or "")
    filters = {
        name: getattr(form, name).data
        for name in ("validity", "efos", "persona")
        if not getattr(form, name).errors and getattr(form, name).data
    }
    return query, filters, SORTS.get(form.sort.data or "-created", SORTS["-created"])


def keep(client: dict[str, Any], filters: dict[str, str]) -> bool:
    """The filters gigstack's list does not take, applied to one client."""
    if filters.get("validity") and bool(client.get("is_valid")) != (filters["validity"] == "valid"):
        return False
    listed = (client.get("efos") or {}).get("is_valid") is False
    if filters.get("efos") and listed != (filters["efos"] == "listed"):
        return False
    if filters.get("persona"):
        rfc = client.get("tax_id") or ""
        person = None if rfc in GENERIC_RFCS else rfc_person(rfc)
        if person != filters["persona"]:
            return False
    return True


def _matching(
    client_api: Any, query: str, filters: dict[str, str], order: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """Every matching client, page by page (the search endpoint when a text is given)."""
    if query:
        found = client_api.clients.search(query, limit=SEARCH_LIMIT)
        yield from (c for c in found if keep(c, filters))
        return
    pages = client_api.clients.iter(limit=100, **order)
    yield from walk(islice(pages, WALK_LIMIT), lambda client: keep(client, filters))


@bp.get("/")
@requires(Role.VIEWER)
def index():
    """Upstream calls: ``GET /clients?team=`` one page (cursor and sort in the URL); with a
    text, ``GET /clients/search`` (one call, up to 100, "more matched" said plainly, the
    filters applied to what it found); with a filter gigstack lacks (SAT check, EFOS,
    persona) and no text, none: a page of the search index (:func:`_indexed`)."""
    form = ClientFilterForm(request.args)
    query, filters, order = _criteria(form)
    more_matched = False
    if query:
        found = api().clients.search(query, limit=SEARCH_LIMIT)
        rows = [c for c in found if keep(c, filters)]
        total, links, more_matched = len(rows), NO_LINKS, bool(found.has_more)
    elif filters:
        return _indexed(form, filters)
    else:
        rows, total, links = page_or_walk(api().clients, None, page_size=PAGE_SIZE, **order)
    return render_page(
        "clients/page.html",
        "clients/_rows.html",
        form=form,
        rows=rows,
        total=total,
        links=links,
        more_matched=more_matched,
        search_limit=SEARCH_LIMIT,
        export_args=_export_args(),
    )


def _indexed(form: ClientFilterForm, filters: dict[str, str]):
    """The filtered list from the search index: one query a page (``?next=`` is the
    offset), each row linked to its client; when the team's clients are not indexed yet,
    that is said (with the button that indexes them, for admins) instead of walking
    gigstack. No upstream call."""
    offset = min(_offset(request.args.get("next")), lists.COUNTED_UP_TO)
    page = lists.clients(current_team_id(), filters, form.sort.data, offset, PAGE_SIZE)
    rows = [] if page is None else [_indexed_client(row) for row in page.rows]
    links = NO_LINKS
    if page is not None:
        more = offset + len(rows) < page.total
        links = {
            "first": list_url("next") if offset else None,
            "next": list_url("next", str(offset + PAGE_SIZE)) if more and rows else None,
        }
    return render_page(
        "clients/page.html",
        "clients/_rows.html",
        form=form,
        rows=rows,
        total=None if page is None else page.total,
        more_than=None if page is None else page.more_than,
        links=links,
        more_matched=False,
        search_limit=SEARCH_LIMIT,
        export_args=_export_args(),
        indexed=page,
        sync_form=SyncForm.offered() if current_user.can(Role.ADMIN) else None,
    )


def _offset(raw: str | None) -> int:
    """An index page's offset from ``?next=`` (anything but a small number is the start)."""
    return int(raw) if raw and raw.isdigit() and len(raw) <= 7 else 0


def _indexed_client(row: SearchEntry) -> dict[str, Any]:
    """An index row as the list's rows read a client (no regime: the index has none)."""
    return {
        "id": row.object_id,
        "legal_name": row.name,
        "tax_id": row.rfc,
        "email": row.email,
        "is_valid": row.sat_valid,
        "efos": {"is_valid": row.efos_valid},
        "created_at": row.created_at,
    }


PICKS_LIMIT = 8
PICK_FIELD = re.compile(r"[a-z][a-z0-9_-]{0,40}")


@bp.get("/picks")
@requires(Role.VIEWER)
def picks():
    """A client picker's matches as the user types (``?field=`` the input a pick fills, the
    text in ``?<field>_search=`` or ``?q=``). Upstream calls: one ``GET /clients/search``."""
    field = request.args.get("field", "")
    if not PICK_FIELD.fullmatch(field):
        abort(400)
    text = (request.args.get(f"{field}_search") or request.args.get("q") or "").strip()
    entries = []
    if len(text) >= 2:
        for client in api().clients.search(text[:200], limit=PICKS_LIMIT):
            label = (
                f"{client.get('legal_name') or client.get('name') or '—'} · "
                f"{client.get('tax_id') or '—'}"
            )
            entries.append({"code": client["id"], "name": label, "label": label, "hide_code": True})
    return render_template(
        "_partials/picks.html",
        entries=entries,
        field=field,
        query=text,
        empty=_("No client of this team matches “%(query)s”.", query=text),
    )


def _export_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "next" and v}


@bp.get("/export.csv")
@requires(Role.VIEWER)
def export_csv():
    """Every matching client, streamed page by page (never the whole list in memory); the
    export is recorded once its first page came (a failure there is the error page)."""
    query, filters, order = _criteria(ClientFilterForm(request.args))
    client_api = api()  # bound now: the rows are read after the view returned

    def rows() -> Iterator[list[Any]]:
        for client in _matching(client_api, query, filters, order):
            address = client.get("address") or {}
            yield [
                client.get("id"),
                client.get("name"),
                client.get("legal_name"),
                client.get("tax_id"),
                client.get("tax_system"),
                client.get("use"),
                client.get("email"),
                client.get("phone"),
                address.get("zip"),
                "valid" if client.get("is_valid") else "invalid",
                "listed" if (client.get("efos") or {}).get("is_valid") is False else "",
                client.get("created_at"),
            ]

    download = csv_response("clients", CSV_COLUMNS, rows())
    record(
        "client.export_csv",
        object_type="client",
        detail=Detail(CLIENT_EXPORT, query=query or "—", filters=str(filters)),
    )
    return download


def problems(client: dict[str, Any]) -> list[str]:
    """What keeps this client from being invoiced, in words (from the data at hand)."""
    found = []
    rfc = client.get("tax_id") or ""
    if not rfc:
        found.append(_("No RFC."))
    elif rfc_problem(rfc) in ("shape", "date"):  # a date no calendar has is no RFC either
        found.append(_("The RFC %(rfc)s is not well formed.", rfc=rfc))
    if not client.get("legal_name"):
        found.append(_("No legal name."))
    regime = catalogs.get("tax_regimes", client.get("tax_system") or "")
    person = rfc_person(rfc) if rfc and rfc not in GENERIC_RFCS else None
    if not regime:
        found.append(_("No tax regime."))
    elif person and not regime.get(person):
        found.append(
            _("Regime %(code)s does not fit the RFC's persona type.", code=client.get("tax_system"))
        )
    if not (client.get("address") or {}).get("zip"):
        found.append(_("No fiscal postal code."))
    if (client.get("efos") or {}).get("is_valid") is False:
        found.append(_("The RFC is on SAT's EFOS list (simulated operations)."))
    return found


@bp.get("/<client_id>")
@requires(Role.VIEWER)
def show(client_id: str):
    """Upstream calls, at once: ``GET /clients/{id}``, the client's latest income invoices,
    payments and receipts (each panel fails on its own)."""
    client_api = api()
    client, invoices, payments, receipts = gather(
        lambda: get_or_404(client_api.clients.get, client_id),
        lambda: panel(
            lambda: list(client_api.invoices.list("income", client_id=client_id, limit=PANEL_SIZE))
        ),
        lambda: panel(
            lambda: list(client_api.payments.list(client_id=client_id, limit=PANEL_SIZE))
        ),
        lambda: panel(
            lambda: list(client_api.receipts.list(client_id=client_id, limit=PANEL_SIZE))
        ),
    )
    return render_page(
        "clients/show.html",
        {"client-actions": "clients/_actions.html"},
        **_show_context(client, invoices=invoices, payments=payments, receipts=receipts),
    )


def _show_context(client: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "client": client,
        "problems": problems(client),
        "regime": catalogs.label("tax_regimes", client.get("tax_system")),
        "use": catalogs.label("cfdi_uses", client.get("use")),
        **extra,
    }


ACTIONS = verb_screen("clients/_actions.html", "client-actions")
STAMP = verb_screen("clients/_stamp.html", "stamp-receipts")
NEW = Screen("clients/new.html", "clients/_form.html", "client-form")
EDIT = Screen("clients/edit.html", "clients/_form.html", "client-form")
DELETE = verb_screen("clients/_confirm.html", "client-delete")
FRAGMENTS = {"client-form": "clients/_form.html", "fiscal-fields": "clients/_fiscal.html"}
API_FIELDS = {"address.zip": "zip"}
NO_STORE = {"Cache-Control": "no-store"}


def _actions_page(client: dict[str, Any], **extra: Any) -> tuple[str, int]:
    """The client's state and actions after a verb, on the shared verb page."""
    url = url_for("clients.show", client_id=client["id"])
    back = {"url": url, "label": _("Back to the client")}
    title = client.get("legal_name") or client.get("name") or client.get("id")
    return ACTIONS.show(title=title, back=back, **_show_context(client, **extra)), 200


def client_name(client: dict[str, Any]) -> str:
    """What a message calls a client: its legal name, else its name, else its id."""
    return client.get("legal_name") or client.get("name") or client.get("id") or ""


def _checked(client: dict[str, Any]) -> str:
    if client.get("is_valid"):
        text = _("SAT check of %(name)s done: the fiscal data are valid.")
    else:
        text = _("SAT check of %(name)s done: the fiscal data are not valid.")
    return confirmation(text, client_name(client), url_for("clients.show", client_id=client["id"]))


@bp.post("/<client_id>/validate")
@requires(Role.OPERATOR)
def validate(client_id: str):
    """Upstream calls: ``POST /clients/validate/{id}``; shows the fresh result."""
    return perform(
        None,
        lambda: get_or_404(api().clients.validate, client_id),
        screen=ACTIONS,
        audit="client.validate",
        object_id=client_id,
        detail=lambda client: Detail(CLIENT_VALID if client.get("is_valid") else CLIENT_INVALID),
        refusals=(),
        message=_checked,
        then=lambda client: _actions_page(client),
    )


@bp.post("/<client_id>/portal-link")
@requires(Role.OPERATOR)
def portal_link(client_id: str):
    """Upstream calls: ``GET /clients/{id}``, ``POST /clients/customerportal``. Shown once,
    audited without the URL."""
    client = get_or_404(api().clients.get, client_id)
    return perform(
        None,
        lambda: api().clients.portal_link(id=client_id),
        screen=ACTIONS,
        audit="client.portal_link",
        object_id=client_id,
        detail=Detail(LINK_SHOWN),
        refusals=(),
        message=confirmation(
            _("A portal link for %(name)s was made: it is shown once, below."),
            client_name(client),
            url_for("clients.show", client_id=client_id),
        ),
        then=lambda link: (*_actions_page(client, link=link), NO_STORE),
    )


@bp.route("/<client_id>/stamp-pending-receipts", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def stamp_pending_receipts(client_id: str):
    """GET: how many receipts are pending (``GET /receipts?status=pending&client_id=``), to
    confirm; POST starts a job that stamps them a hundred at a time until none remain
    (:mod:`webapp.bulk.pending`) and goes to its page: no upstream call then."""
    client_api = api()
    form = CreateForm()
    if form.is_submitted():
        client = get_or_404(client_api.clients.get, client_id)
        name = client.get("legal_name") or client.get("name") or client_id
        return lifecycle.start_once(
            form.once.data,
            CLIENT_RECEIPTS,
            team=current_team_id(),
            params={"client": client_id, "client_name": name},
            description=Detail(JOB_CLIENT, client=client_id),
        )
    client, pending = gather(
        lambda: get_or_404(client_api.clients.get, client_id),
        lambda: client_api.receipts.list(status="pending", client_id=client_id, limit=1),
    )
    count = pending.total_results if pending.total_results is not None else len(pending)
    form.once.data = once.issue()
    context = {**_show_context(client, pending=count), "title": _("Stamp pending receipts")}
    return STAMP.show(form=form, **context)


def _client_form(data: dict[str, Any] | None = None) -> ClientForm:
    """The posted form, or (a GET with a query) the one whose choices follow the RFC and regime
    typed so far, or a fresh one with ``data``."""
    if request.method == "GET" and request.args:
        form = ClientForm(request.args, meta={"csrf": False})
        form.offer_choices()
        form.drop_unfitting()
        return form
    form = ClientForm(data=data)
    form.offer_choices()
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def new():
    """Upstream calls: ``POST /clients?team=`` on save (none while the form is refused)."""
    form = _client_form()
    if not form.is_submitted():
        form.once.data = form.once.data or once.issue()
        return render_page(NEW.page, FRAGMENTS, form=form, client=None)
    return perform(
        form,
        lambda: api().clients.create(client_payload(form)),
        screen=NEW,
        context={"client": None},
        audit="client.create",
        object_id=lambda client: client.get("id"),
        reason=lambda client: client.get("tax_id"),
        refusals=(ValidationError, Conflict),
        aliases=API_FIELDS,
        message=lambda client: confirmation(
            _("Client %(name)s created."),
            client_name(client),
            url_for("clients.show", client_id=client["id"]),
        ),
        then=lambda client: url_for("clients.show", client_id=client["id"]),
    )


@bp.route("/<client_id>/edit", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def edit(client_id: str):
    """Upstream calls: ``GET /clients/{id}``; on save ``PUT /clients/{id}`` with only the
    changed fields."""
    client = get_or_404(api().clients.get, client_id)
    form = _client_form(form_data(client))
    if not form.is_submitted():
        return render_page(EDIT.page, FRAGMENTS, form=form, client=client)
    if not form.validate() or emptied(form, client):
        return EDIT.failed(form=form, client=client)
    payload = client_payload(form, client)
    if not payload:
        return navigate(url_for("clients.show", client_id=client_id))
    return perform(
        form,
        lambda: api().clients.update(client_id, payload),
        screen=EDIT,
        context={"client": client},
        validate=False,
        audit="client.update",
        object_id=client_id,
        detail=changed_reason(payload),
        aliases=API_FIELDS,
        message=lambda saved: confirmation(
            _("Client %(name)s saved."),
            client_name(saved or client),
            url_for("clients.show", client_id=client_id),
        ),
        then=url_for("clients.show", client_id=client_id),
    )


@bp.route("/<client_id>/delete", methods=["GET", "POST"])
@requires(Role.OPERATOR)
def delete(client_id: str):
    """A reason and a confirmation naming the client; invoices keep their copy.
    Upstream calls: ``GET /clients/{id}``, ``DELETE /clients/{id}``."""
    client = get_or_404(api().clients.get, client_id)
    form = ClientDeleteForm()
    context = {"client": client, "title": _("Delete client")}
    return perform(
        form,
        lambda: api().clients.delete(client_id),
        screen=DELETE,
        context=context,
        audit="client.delete",
        object_id=client_id,
        message=confirmation(_("Client %(name)s was deleted."), client_name(client)),
        then=url_for("clients.index"),
    )


# the CSF screens (csf_upload.py) on this blueprint
bp.add_url_rule("/csf", view_func=csf_upload.upload_csf, methods=["GET", "POST"])
bp.add_url_rule("/<client_id>/csf", view_func=csf_upload.update_csf, methods=["GET", "POST"])
bp.add_url_rule("/csf/confirm", view_func=csf_upload.confirm_csf, methods=["POST"])
